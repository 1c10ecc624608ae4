#pragma once
// Pattern estimation for PatternNet / PatternAttribution (Kindermans et al. 2018) as in
// iNNvestigate 1.0.8's tools/pattern.py, in one streaming pass over data of any size
// (docs/patterns.md; save/load of fitted patterns: attrib/io/patterns.hpp).
//
// For every Dense and Conv2d node and every output unit j (Conv2d: output channel j, statistics
// pooled over all output positions and samples; x = the input patch of length
// Cin/groups * kh * kw, im2col's column; Dense: x = the input row):
//   y_j = w_j^T x            WITHOUT bias, in double
//   m_j = 1[post-activation output > 0]   (relu estimator; linear: m_j = 1)
//   E+[x]_j  = sum m x / sum m,   E+[xy]_j = sum m x y / sum m,   E[y]_j = mean of y over ALL
//   cov_j = E+[xy]_j - E+[x]_j E[y]_j,   a_j = cov_j / safe(w_j^T cov_j),  safe(b) = b + [b == 0]
// Units with no active vector (count 0) get E+[x] = E+[xy] = 0 (safe divide), hence a_j = 0.
// Sums are kept in double and divided at finish(), which equals iNNvestigate's count-weighted
// running means up to rounding.
//
// The activation giving the mask: starting at the Dense/Conv2d node, follow the single consumer
// through BatchNorm2d, Identity, Dropout and Flatten nodes ("safe": element-wise or reshaping,
// one input); if the node reached is consumed by exactly one ReLU, that ReLU's output is the
// mask source. Otherwise (several consumers at any step, any other layer, or the model output)
// the layer's own output (with bias) is thresholded. mask_source() reports the choice.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attrib/detail/axis.hpp"
#include "attrib/engine/engine.hpp"
#include "attrib/models/network.hpp"
#include "attrib/rules/pattern.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Reported to the progress callback after every batch.
struct PatternProgress {
  std::int64_t batches = 0;  ///< batches added so far
  std::int64_t samples = 0;  ///< samples added so far
};

/// Streaming fit of patterns for every Dense/Conv2d node of a runtime network.
template <class T>
class PatternFitter {
 public:
  using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
  using RowMatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// Fits `kind` patterns for the Dense/Conv2d nodes of `net` (which must outlive the fitter
  /// and not change during the fit). ArgumentError arg.604 if the network has no such node.
  PatternFitter(const Network<T>& net, PatternKind kind) : net_(net), kind_(kind) {
    const Index n = net.size();
    std::vector<std::vector<Index>> consumers(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
      const NodeInfo& info = net.node(i);
      for (const Index p : info.inputs)
        if (p >= 0) consumers[std::size_t(p)].push_back(i);
    }
    for (Index i = 0; i < n; ++i)
      net.visit(i, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        if constexpr (L::role == Role::weighted_linear) {
          Unit u;
          u.node = i;
          const Shape& ws = layer.weight().shape();
          u.units = ws[0];
          u.k = ws.size() / ws[0];
          u.w = layer.weight().view().mat(u.units, u.k).template cast<double>();
          u.sx = MatD::Zero(u.k, u.units);
          u.sxy = MatD::Zero(u.k, u.units);
          u.sy = Eigen::VectorXd::Zero(u.units);
          u.cnt = Eigen::VectorXd::Zero(u.units);
          u.mask = find_mask(i, consumers);
          units_.push_back(std::move(u));
        }
      });
    if (units_.empty())
      raise<ArgumentError>("arg.604", "PatternFitter: the network has no Dense or Conv2d node to fit patterns for");
  }

  PatternKind kind() const { return kind_; }
  std::int64_t samples() const { return samples_; }
  std::int64_t batches() const { return batches_; }

  /// Name of the node whose output gives node `name`'s mask (itself or a ReLU); ArgumentError
  /// arg.605 if `name` is not a Dense/Conv2d node.
  std::string mask_source(const std::string& name) const {
    const Index i = net_.find(name);
    for (const Unit& u : units_)
      if (u.node == i) return net_.node(u.mask).name;
    raise<ArgumentError>("arg.605", "PatternFitter: node '", name, "' is a ", net_.node(i).kind,
                         ", not a Dense or Conv2d node");
  }

  /// Called after every add_batch() with the running totals.
  void on_progress(std::function<void(const PatternProgress&)> f) { progress_ = std::move(f); }

  /// Runs the network on the batch x ([N, ...]) and adds its statistics. ArgumentError arg.601
  /// for a non-finite value in x, arg.602 if a fitted layer's output is not finite; shape errors
  /// as the network's forward.
  void add_batch(ConstView<T> x) {
    if (!x.vec().allFinite())
      for (Index i = 0; i < x.size(); ++i)
        if (!std::isfinite(static_cast<double>(x[i])))
          raise<ArgumentError>("arg.601", "PatternFitter::add_batch: data of shape ", x.shape(),
                               " has a non-finite value (", x[i], ") at flat index ", i, " (batch item ",
                               i / std::max<Index>(1, x.shape().sample_size()), ", after ", samples_,
                               " samples of earlier batches)");
    forward(net_, x, trace_, ws_);
    for (Unit& u : units_) {
      const NodeInfo& info = net_.node(u.node);
      if (!trace_.output(u.node).vec().allFinite())
        raise<ArgumentError>("arg.602", "PatternFitter::add_batch: ", info.kind, " '", info.name,
                             "' produced a non-finite output on a finite batch (check its weights)");
      const ConstView<T> in = trace_.input_of(info);
      const ConstView<T> mask = trace_.output(u.mask);
      net_.visit(u.node, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        if constexpr (L::role == Role::weighted_linear) accumulate(layer, u, in, mask);
      });
    }
    samples_ += x.shape().batch();
    ++batches_;
    if (progress_) progress_(PatternProgress{batches_, samples_});
  }

  /// The patterns from the statistics so far (the fitter can continue afterwards).
  /// ArgumentError arg.603 if no sample was added.
  Patterns<T> finish() const {
    if (samples_ == 0)
      raise<ArgumentError>("arg.603", "PatternFitter::finish: no data; call add_batch() at least once");
    Patterns<T> out;
    out.kind = kind_;
    out.samples = samples_;
    for (const Unit& u : units_) {
      const Eigen::VectorXd safe_cnt = u.cnt.unaryExpr([](double c) { return c == 0 ? 1.0 : c; });
      const Eigen::RowVectorXd inv = safe_cnt.cwiseInverse().transpose();
      const MatD ex = u.sx.array().rowwise() * inv.array();
      const MatD exy = u.sxy.array().rowwise() * inv.array();
      const Eigen::RowVectorXd ey = (u.sy / static_cast<double>(u.vectors)).transpose();
      const MatD cov = exy.array() - ex.array().rowwise() * ey.array();
      typename Patterns<T>::Entry e;
      const NodeInfo& info = net_.node(u.node);
      net_.visit(u.node, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        if constexpr (L::role == Role::weighted_linear)
          e.pattern.resize(layer.weight().shape());
      });
      auto a = e.pattern.view().mat(u.units, u.k);
      for (Index j = 0; j < u.units; ++j) {
        const double d = u.w.row(j).dot(cov.col(j));
        const double s = d + (d == 0 ? 1.0 : 0.0);
        for (Index q = 0; q < u.k; ++q) a(j, q) = static_cast<T>(cov(q, j) / s);
      }
      e.vectors = u.vectors;
      e.active.resize(static_cast<std::size_t>(u.units));
      for (Index j = 0; j < u.units; ++j) e.active[std::size_t(j)] = static_cast<std::int64_t>(u.cnt[j]);
      out.nodes[info.name] = std::move(e);
    }
    return out;
  }

 private:
  struct Unit {
    Index node = 0, mask = 0, units = 0, k = 0;
    RowMatD w;                  // [units, k]
    MatD sx, sxy;               // [k, units]: sum m x, sum m x y
    Eigen::VectorXd sy, cnt;    // sum y (all), sum m
    std::int64_t vectors = 0;   // vectors per unit
  };

  Index find_mask(Index i, const std::vector<std::vector<Index>>& consumers) const {
    Index cur = i;
    for (;;) {
      const auto& c = consumers[static_cast<std::size_t>(cur)];
      if (c.size() != 1) return i;
      const NodeInfo& next = net_.node(c[0]);
      if (next.arity != 1) return i;
      if (next.role == Role::activation) return c[0];
      if (next.role == Role::per_unit_linear || next.role == Role::reshape) {
        cur = c[0];
        continue;
      }
      return i;
    }
  }

  bool use_mask() const { return kind_ == PatternKind::relu; }

  /// S = [M, M (.) Y] ([rows, 2 units] block layout given by the caller), then the sums.
  void accumulate(const Dense<T>&, Unit& u, ConstView<T> in, ConstView<T> mask) {
    const Index n = in.dim(0);
    xd_ = in.mat(n, u.k).template cast<double>();
    yd_.noalias() = xd_ * u.w.transpose();  // [n, units]
    sd_.resize(n, 2 * u.units);
    const auto m = mask.mat(n, u.units);
    for (Index r = 0; r < n; ++r)
      for (Index j = 0; j < u.units; ++j) {
        const double mv = !use_mask() || m(r, j) > T(0) ? 1.0 : 0.0;
        sd_(r, j) = mv;
        sd_(r, u.units + j) = mv * yd_(r, j);
      }
    acc_.noalias() = xd_.transpose() * sd_;  // [k, 2 units]
    u.sx += acc_.leftCols(u.units);
    u.sxy += acc_.rightCols(u.units);
    u.sy += yd_.colwise().sum().transpose();
    u.cnt += sd_.leftCols(u.units).colwise().sum().transpose();
    u.vectors += n;
  }

  /// Conv1d: the statistics of its equivalent Conv2d on [N, C, 1, L] (the same im2col
  /// columns; the pattern keeps Conv1d's weight shape).
  void accumulate(const Conv1d<T>& l, Unit& u, ConstView<T> in, ConstView<T> mask) {
    accumulate(l.to_conv2d(), u, detail::length_as_width(in), detail::length_as_width(mask));
  }

  void accumulate(const Conv2d<T>& l, Unit& u, ConstView<T> in, ConstView<T> mask) {
    const Shape out = l.output_shape(in.shape());
    detail::ConvGeometry g{};
    const Index groups = l.groups();
    g.channels = l.in_channels() / groups;
    g.height = in.dim(2);
    g.width = in.dim(3);
    g.kernel_h = l.kernel_h();
    g.kernel_w = l.kernel_w();
    g.stride_h = l.options().stride_h();
    g.stride_w = l.options().stride_w();
    g.pad_top = l.options().pad_top();
    g.pad_left = l.options().pad_left();
    g.dilation_h = l.options().dilation_h();
    g.dilation_w = l.options().dilation_w();
    g.out_h = out[2];
    g.out_w = out[3];
    const Index cout_g = u.units / groups, npix = g.column_cols(), in_group = g.channels * g.height * g.width;
    const Index band = detail::band_rows(g, Conv2d<T>::column_budget, Conv2d<T>::column_min_cols);
    xg_.resize(in_group);
    for (Index n = 0; n < in.dim(0); ++n)
      for (Index grp = 0; grp < groups; ++grp) {
        const T* src = in.data() + (n * groups + grp) * in_group;
        for (Index q = 0; q < in_group; ++q) xg_[q] = static_cast<double>(src[q]);
        const auto wg = u.w.middleRows(grp * cout_g, cout_g);
        for (Index oy0 = 0; oy0 < g.out_h; oy0 += band) {
          const Index oy1 = std::min(oy0 + band, g.out_h), nb = (oy1 - oy0) * g.out_w;
          cols_.resize(u.k, nb);
          detail::im2col(xg_.data(), g, oy0, oy1, cols_.data());
          yr_.noalias() = wg * cols_;  // [cout_g, nb]
          sr_.resize(2 * cout_g, nb);
          for (Index o = 0; o < cout_g; ++o) {
            const T* mrow = mask.data() + ((n * u.units) + grp * cout_g + o) * npix + oy0 * g.out_w;
            for (Index p = 0; p < nb; ++p) {
              const double mv = !use_mask() || mrow[p] > T(0) ? 1.0 : 0.0;
              sr_(o, p) = mv;
              sr_(cout_g + o, p) = mv * yr_(o, p);
            }
          }
          acc_.noalias() = cols_ * sr_.transpose();  // [k, 2 cout_g]
          u.sx.middleCols(grp * cout_g, cout_g) += acc_.leftCols(cout_g);
          u.sxy.middleCols(grp * cout_g, cout_g) += acc_.rightCols(cout_g);
          u.sy.segment(grp * cout_g, cout_g) += yr_.rowwise().sum();
          u.cnt.segment(grp * cout_g, cout_g) += sr_.topRows(cout_g).rowwise().sum();
        }
      }
    u.vectors += in.dim(0) * npix;
  }

  const Network<T>& net_;
  PatternKind kind_;
  std::vector<Unit> units_;
  std::int64_t samples_ = 0, batches_ = 0;
  std::function<void(const PatternProgress&)> progress_;
  Trace<T> trace_;
  Workspace<T> ws_;
  // Reused double scratch (sized on first use, no allocation afterwards for equal shapes).
  RowMatD xd_, yd_, sd_, cols_, yr_, sr_;
  MatD acc_;
  Eigen::VectorXd xg_;
};

/// Fits patterns over all batches a source yields. The source is either
///   bool source(Tensor<T>& batch)       fills `batch`, returns false when exhausted, or
///   std::optional<B> source()           B = Tensor<T> or anything convertible to ConstView<T>
///                                       (std::nullopt when exhausted).
template <class T, class Source>
Patterns<T> fit_patterns(const Network<T>& net, PatternKind kind, Source&& source,
                         std::function<void(const PatternProgress&)> progress = {}) {
  PatternFitter<T> fitter(net, kind);
  fitter.on_progress(std::move(progress));
  if constexpr (std::is_invocable_r_v<bool, Source&, Tensor<T>&>) {
    Tensor<T> batch;
    while (source(batch)) fitter.add_batch(batch.cview());
  } else {
    for (auto b = source(); b; b = source()) {
      const auto& v = *b;
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Tensor<T>>) fitter.add_batch(v.cview());
      else fitter.add_batch(ConstView<T>(v));
    }
  }
  return fitter.finish();
}

ATTRIB_END_NAMESPACE
