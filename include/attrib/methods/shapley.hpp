#pragma once
// Shapley values of the baseline-masking game v(S) = f_c(x_S, b_{N \ S}) over n players: single
// input elements or feature groups (masks, image patches).
//  - harsanyi_interactions(): all 2^n values v(S), then the Moebius transform
//      I(S) = sum_{T subset S} (-1)^{|S|-|T|} v(T)          (I(empty) = f_c(b))
//  - shapley_exact(): phi_i = sum_{S contains i} I(S) / |S|  (n <= 16: 2^n model rows per item)
//  - shapley_sampled(): random permutations with antithetic pairs (each permutation and its
//    reverse); each pair satisfies efficiency exactly; standard error over pairs.
// Efficiency: sum_i phi_i = f_c(x) - f_c(b).
#include "attrib/core/config.hpp"
#include <cstdint>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Players over a sample's elements: group[j] in [0, count) is element j's player, -1 = the
/// element is never masked (always x). Empty: every element is its own player.
struct FeatureGroups {
  std::vector<Index> group;
  Index count = 0;

  FeatureGroups() = default;
  /// From a mask of group ids (-1 = not a player); count = max id + 1; every id in
  /// [0, count) must occur.
  explicit FeatureGroups(std::vector<Index> mask) : group(std::move(mask)) {
    for (Index g : group) {
      if (g < -1) raise<ParameterError>("param.730", "FeatureGroups: group id ", g, " < -1");
      count = std::max(count, g + 1);
    }
    std::vector<char> seen(static_cast<std::size_t>(count), 0);
    for (Index g : group)
      if (g >= 0) seen[static_cast<std::size_t>(g)] = 1;
    for (Index g = 0; g < count; ++g)
      if (!seen[static_cast<std::size_t>(g)])
        raise<ParameterError>("param.731", "FeatureGroups: group ", g, " has no element (ids must be 0..", count - 1, ")");
  }
  bool empty() const { return group.empty(); }
};

/// Image patches: for a sample shape [C, H, W] (or [H, W]), one group per ph x pw patch across
/// all channels, row-major over patches; edge patches are smaller when H, W are not multiples.
inline FeatureGroups patch_groups(const Shape& sample, Index ph, Index pw) {
  if (sample.rank() < 2 || sample.rank() > 3)
    raise<ShapeError>("shape.730", "patch_groups: sample shape ", sample, ", expected [C, H, W] or [H, W]");
  if (ph < 1 || pw < 1) raise<ParameterError>("param.732", "patch_groups: patch ", ph, " x ", pw, ", expected >= 1");
  const Index c = sample.rank() == 3 ? sample[0] : 1, h = sample[sample.rank() - 2], w = sample[sample.rank() - 1];
  const Index gw = (w + pw - 1) / pw;
  std::vector<Index> mask(static_cast<std::size_t>(c * h * w));
  for (Index k = 0; k < c; ++k)
    for (Index i = 0; i < h; ++i)
      for (Index j = 0; j < w; ++j) mask[static_cast<std::size_t>((k * h + i) * w + j)] = (i / ph) * gw + j / pw;
  return FeatureGroups(std::move(mask));
}

template <class T>
struct ShapleyOptions : BatchOptions {
  ConstView<T> baseline;   ///< [N, ...] or [1, ...]; empty = zeros
  FeatureGroups groups;    ///< players; empty = one per element
};

template <class T>
struct SampledShapleyOptions : ShapleyOptions<T> {
  Index pairs = 64;          ///< antithetic permutation pairs per item (2 n - 2 + 2 / pairs rows each; 2 to max_method_count)
  std::uint64_t seed = 0;    ///< attrib::Random seed
  /// User-given permutations (replace pairs and seed when not empty), e.g. another library's
  /// draws to replay its run exactly: each lists every player once, in the order they join the
  /// coalition, and is used as given for every item (no antithetic reverse: add it yourself),
  /// as Captum's ShapleyValueSampling does with its torch.randperm draws. 1 to max_method_count.
  std::vector<std::vector<Index>> permutations;
};

template <class T>
struct ShapleyResult {
  Tensor<T> attribution;                      ///< shape of x: each element gets its player's value (-1: 0)
  std::vector<std::vector<double>> values;    ///< [item][player]
  std::vector<std::vector<double>> standard_error;  ///< [item][player] (sampled only)
  std::vector<double> output_diff;            ///< f_c(x) - f_c(b) per item
};

namespace detail {

struct Players {
  std::vector<Index> group;  // per element
  Index n = 0;
};

template <class T>
Players players_for(const FeatureGroups& g, Index d, const char* who) {
  Players p;
  if (g.empty()) {
    p.group.resize(static_cast<std::size_t>(d));
    for (Index j = 0; j < d; ++j) p.group[static_cast<std::size_t>(j)] = j;
    p.n = d;
  } else {
    if (static_cast<Index>(g.group.size()) != d)
      raise<ShapeError>("shape.731", who, ": feature groups cover ", g.group.size(), " elements, the sample has ", d);
    p.group = g.group;
    p.n = g.count;
  }
  if (p.n < 1) raise<ParameterError>("param.733", who, ": no players (every element has group -1)");
  return p;
}

/// v(S) for every mask S of one item (bit i = player i kept at x).
template <class T, class F>
std::vector<double> coalition_values(F& f, ConstView<T> xi, ConstView<T> bi, const Players& p, Index target,
                                     const BatchOptions& bo, Index& done, Index total, const char* who) {
  const Index rows = Index(1) << p.n, d = xi.size();
  std::vector<double> v(static_cast<std::size_t>(rows));
  Tensor<T> buf;
  batched_eval<T>(
      f, xi.shape(), rows, bo, done, total,
      [&](Index m, TensorView<T> dst) {
        for (Index j = 0; j < d; ++j) {
          const Index g = p.group[static_cast<std::size_t>(j)];
          dst[j] = (g < 0 || ((m >> g) & 1)) ? xi[j] : bi[j];
        }
      },
      [&](Index m, const Tensor<T>& y, Index r, Index cnt) { v[static_cast<std::size_t>(m)] = output_at(y, cnt, r, target, who); },
      buf);
  return v;
}

inline void moebius_in_place(std::vector<double>& a, Index n) {
  const Index size = Index(1) << n;
  for (Index i = 0; i < n; ++i)
    for (Index m = 0; m < size; ++m)
      if ((m >> i) & 1) a[static_cast<std::size_t>(m)] -= a[static_cast<std::size_t>(m ^ (Index(1) << i))];
}

inline int popcount(std::uint64_t m) {
  int c = 0;
  for (; m; m &= m - 1) ++c;
  return c;
}

template <class T>
void check_single_item(ConstView<T> x, const char* who) {
  if (x.rank() < 2 || x.shape().batch() != 1)
    raise<ShapeError>("shape.732", who, ": x has shape ", x.shape(), ", expected one item [1, ...]");
}

inline void check_exact_players(Index n, const char* who) {
  if (n > 16)
    raise<ParameterError>("param.734", who, ": ", n, " players; exact Shapley / Harsanyi needs 2^n model rows and "
                          "supports n <= 16 (group the features or use shapley_sampled)");
}

template <class F, class Fn>
decltype(auto) with_function(F& f_or_model, Fn&& fn) {
  if constexpr (is_model_v<F>) {
    auto f = model_function(f_or_model);
    return fn(f);
  } else {
    return fn(f_or_model);
  }
}

}  // namespace detail

/// Shapley values from Harsanyi dividends: phi_i = sum_{S contains i} I(S) / |S|.
inline std::vector<double> shapley_from_harsanyi(const std::vector<double>& I, Index n) {
  if (static_cast<Index>(I.size()) != (Index(1) << n))
    raise<ShapeError>("shape.733", "shapley_from_harsanyi: ", I.size(), " dividends for ", n, " players, expected 2^n");
  std::vector<double> phi(static_cast<std::size_t>(n), 0.0);
  for (Index m = 1; m < (Index(1) << n); ++m) {
    const double share = I[static_cast<std::size_t>(m)] / detail::popcount(static_cast<std::uint64_t>(m));
    for (Index i = 0; i < n; ++i)
      if ((m >> i) & 1) phi[static_cast<std::size_t>(i)] += share;
  }
  return phi;
}

/// Harsanyi interactions I(S) of one item x ([1, ...]) for all 2^n masks S (bit i = player i),
/// baseline masking with `baseline` ([1, ...]; empty = zeros), players = groups (empty = elements).
/// f: a function f(batch) -> [N, K] or one of our models.
template <class F, class X>
std::vector<double> harsanyi_interactions(F&& f_or_model, const X& x_in, ConstView<detail::view_scalar_t<X>> baseline,
                                          const FeatureGroups& groups, Index target = 0, const BatchOptions& bo = {}) {
  using T = detail::view_scalar_t<X>;
  const char* who = "harsanyi_interactions";
  const ConstView<T> x(x_in);
  detail::check_input(x, who);
  detail::check_single_item(x, who);
  detail::check_batch_options(bo, who);
  const Tensor<T> b = detail::expand_baseline(baseline, x, who);
  const detail::Players p = detail::players_for<T>(groups, x.shape().sample_size(), who);
  detail::check_exact_players(p.n, who);
  return detail::with_function(f_or_model, [&](auto& f) {
    Index done = 0;
    auto v = detail::coalition_values<T>(f, x, b.cview(), p, target, bo, done, Index(1) << p.n, who);
    detail::moebius_in_place(v, p.n);
    return v;
  });
}

/// Exact Shapley values (n <= 16 players) for every item of x, via the Harsanyi transform.
template <class F, class X>
ShapleyResult<detail::view_scalar_t<X>> shapley_exact(F&& f_or_model, const X& x_in, const Targets& targets,
                                                      const ShapleyOptions<detail::view_scalar_t<X>>& opt = {}) {
  using T = detail::view_scalar_t<X>;
  const char* who = "shapley_exact";
  const ConstView<T> x(x_in);
  detail::check_input(x, who);
  detail::check_batch_options(opt, who);
  if (x.rank() < 2) raise<ShapeError>("shape.734", who, ": x has shape ", x.shape(), ", expected [N, ...] with rank >= 2");
  const Index n = x.shape().batch(), d = x.shape().sample_size();
  const std::vector<Index> tg = detail::expand_targets(targets, n, who);
  const Tensor<T> b = detail::expand_baseline(opt.baseline, x, who);
  const detail::Players p = detail::players_for<T>(opt.groups, d, who);
  detail::check_exact_players(p.n, who);
  ShapleyResult<T> res;
  res.attribution.resize(x.shape());
  detail::with_function(f_or_model, [&](auto& f) {
    Index done = 0;
    const Index total = n * (Index(1) << p.n);
    for (Index i = 0; i < n; ++i) {
      auto v = detail::coalition_values<T>(f, x.slice(i, 1), b.view().slice(i, 1), p, tg[static_cast<std::size_t>(i)], opt,
                                           done, total, who);
      res.output_diff.push_back(v.back() - v.front());
      detail::moebius_in_place(v, p.n);
      res.values.push_back(shapley_from_harsanyi(v, p.n));
      for (Index j = 0; j < d; ++j) {
        const Index g = p.group[static_cast<std::size_t>(j)];
        res.attribution[i * d + j] = static_cast<T>(g < 0 ? 0.0 : res.values.back()[static_cast<std::size_t>(g)]);
      }
    }
    return 0;
  });
  return res;
}

/// Sampled Shapley values: `pairs` antithetic permutation pairs per item (or the user's
/// permutations); standard errors.
template <class F, class X>
ShapleyResult<detail::view_scalar_t<X>> shapley_sampled(F&& f_or_model, const X& x_in, const Targets& targets,
                                                        const SampledShapleyOptions<detail::view_scalar_t<X>>& opt = {}) {
  using T = detail::view_scalar_t<X>;
  const char* who = "shapley_sampled";
  const ConstView<T> x(x_in);
  detail::check_input(x, who);
  detail::check_batch_options(opt, who);
  if (x.rank() < 2) raise<ShapeError>("shape.734", who, ": x has shape ", x.shape(), ", expected [N, ...] with rank >= 2");
  const bool user = !opt.permutations.empty();
  if (!user && (opt.pairs < 2 || opt.pairs > max_method_count))
    raise<ParameterError>("param.735", who, ": pairs = ", opt.pairs, ", expected 2 (for a standard error) to ",
                          max_method_count);
  if (user && Index(opt.permutations.size()) > max_method_count)
    raise<ParameterError>("param.736", who, ": ", opt.permutations.size(), " permutations given, expected 1 to ",
                          max_method_count);
  const Index n = x.shape().batch(), d = x.shape().sample_size();
  const std::vector<Index> tg = detail::expand_targets(targets, n, who);
  const Tensor<T> b = detail::expand_baseline(opt.baseline, x, who);
  const detail::Players p = detail::players_for<T>(opt.groups, d, who);
  const Index np = p.n, P = user ? Index(opt.permutations.size()) : opt.pairs;
  // Forward (and, for drawn pairs, reverse) orders per permutation.
  const Index orders = user ? 1 : 2;
  if (user)
    for (std::size_t q = 0; q < opt.permutations.size(); ++q) {
      std::vector<char> seen(static_cast<std::size_t>(np), 0);
      bool ok = Index(opt.permutations[q].size()) == np;
      for (Index g : opt.permutations[q]) {
        ok = ok && g >= 0 && g < np && !seen[static_cast<std::size_t>(g)];
        if (ok) seen[static_cast<std::size_t>(g)] = 1;
      }
      if (!ok)
        raise<ParameterError>("param.737", who, ": permutation ", q, " has ", opt.permutations[q].size(),
                              " entries, expected each of the ", np, " players 0 to ", np - 1, " exactly once");
    }
  Random rng(opt.seed);
  ShapleyResult<T> res;
  res.attribution.resize(x.shape());
  detail::with_function(f_or_model, [&](auto& f) {
    // Rows per item: v(empty), v(N), then per pair F_k = {pos < k} and R_k = {pos >= np - k}
    // for k = 1 .. np - 1 (user-given permutations: F_k only).
    const Index inner = np > 1 ? np - 1 : 0;
    const Index per = 2 + P * orders * inner;
    Index done = 0;
    const Index total = n * per;
    std::vector<Index> pos(static_cast<std::size_t>(P * np)), perm(static_cast<std::size_t>(np));
    std::vector<double> v(static_cast<std::size_t>(per));
    Tensor<T> buf;
    for (Index i = 0; i < n; ++i) {
      // Permutations (Fisher-Yates with attrib::Random), stored as position of each player.
      for (Index q = 0; q < P; ++q) {
        if (user) {
          perm = opt.permutations[static_cast<std::size_t>(q)];
        } else {
          for (Index k = 0; k < np; ++k) perm[static_cast<std::size_t>(k)] = k;
          for (Index k = np - 1; k > 0; --k)
            std::swap(perm[static_cast<std::size_t>(k)], perm[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(k + 1)))]);
        }
        for (Index k = 0; k < np; ++k) pos[static_cast<std::size_t>(q * np + perm[static_cast<std::size_t>(k)])] = k;
      }
      const ConstView<T> xi = x.slice(i, 1), bi = b.view().slice(i, 1);
      detail::batched_eval<T>(
          f, x.shape(), per, opt, done, total,
          [&](Index r, TensorView<T> dst) {
            // membership of player g in this row's coalition
            auto in = [&](Index g) -> bool {
              if (r == 0) return false;
              if (r == 1) return true;
              const Index q = (r - 2) / (orders * inner), rest = (r - 2) % (orders * inner);
              const Index k = rest % inner + 1;
              const Index pg = pos[static_cast<std::size_t>(q * np + g)];
              return rest < inner ? pg < k : pg >= np - k;
            };
            for (Index j = 0; j < d; ++j) {
              const Index g = p.group[static_cast<std::size_t>(j)];
              dst[j] = (g < 0 || in(g)) ? xi[j] : bi[j];
            }
          },
          [&](Index r, const Tensor<T>& y, Index rr, Index cnt) {
            v[static_cast<std::size_t>(r)] = detail::output_at(y, cnt, rr, tg[static_cast<std::size_t>(i)], who);
          },
          buf);
      const double v0 = v[0], vn = v[1];
      auto fwd = [&](Index q, Index k) {  // v(F_k), k = 0..np
        return k == 0 ? v0 : k == np ? vn : v[static_cast<std::size_t>(2 + q * orders * inner + (k - 1))];
      };
      auto rev = [&](Index q, Index k) {  // v(R_k)
        return k == 0 ? v0 : k == np ? vn : v[static_cast<std::size_t>(2 + q * orders * inner + inner + (k - 1))];
      };
      std::vector<double> s1(static_cast<std::size_t>(np), 0.0), s2(s1), phi(s1);
      for (Index q = 0; q < P; ++q) {
        std::fill(phi.begin(), phi.end(), 0.0);
        for (Index g = 0; g < np; ++g) {
          const Index t = pos[static_cast<std::size_t>(q * np + g)];
          const double f_m = fwd(q, t + 1) - fwd(q, t);
          if (user) {
            phi[static_cast<std::size_t>(g)] = f_m;
            continue;
          }
          // In the reverse order player g comes at position np - 1 - t.
          const Index tr = np - 1 - t;
          const double r_m = rev(q, tr + 1) - rev(q, tr);
          phi[static_cast<std::size_t>(g)] = 0.5 * (f_m + r_m);
        }
        for (Index g = 0; g < np; ++g) {
          s1[static_cast<std::size_t>(g)] += phi[static_cast<std::size_t>(g)];
          s2[static_cast<std::size_t>(g)] += phi[static_cast<std::size_t>(g)] * phi[static_cast<std::size_t>(g)];
        }
      }
      std::vector<double> mean(static_cast<std::size_t>(np)), se(static_cast<std::size_t>(np));
      for (Index g = 0; g < np; ++g) {
        const std::size_t u = static_cast<std::size_t>(g);
        mean[u] = s1[u] / double(P);
        se[u] = P > 1 ? std::sqrt(std::max(0.0, (s2[u] - double(P) * mean[u] * mean[u]) / double(P - 1)) / double(P)) : 0.0;
      }
      for (Index j = 0; j < d; ++j) {
        const Index g = p.group[static_cast<std::size_t>(j)];
        res.attribution[i * d + j] = static_cast<T>(g < 0 ? 0.0 : mean[static_cast<std::size_t>(g)]);
      }
      res.values.push_back(std::move(mean));
      res.standard_error.push_back(std::move(se));
      res.output_diff.push_back(vn - v0);
    }
    return 0;
  });
  return res;
}

ATTRIB_END_NAMESPACE
