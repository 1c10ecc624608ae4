// Metric output (report/): CSC's to_json (parsed back by an independent little JSON parser
// written here), NaN handling, the SVG plots of report/plots.hpp (well-formed, every series
// present, finite coordinates, the log panel's mapping of 1 - median for known inputs, errors),
// and RFC 4180 quoting of the CSV writers (parsed back by an independent little CSV reader).
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/report/csc.hpp"
#include "attrib/report/faithfulness_report.hpp"
#include "attrib/report/plots.hpp"

using namespace attrib;

namespace {
// --- a minimal JSON reader (RFC 8259 subset: no surrogate pairs), independent of csc.hpp ---
struct Json {
  enum Type { null, boolean, number, string, array, object } type = null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json& operator[](const std::string& k) const {
    INFO("key " << k);
    REQUIRE(type == object);
    REQUIRE(fields.count(k) == 1);
    return fields.at(k);
  }
  const Json& operator[](std::size_t i) const {
    REQUIRE(type == array);
    REQUIRE(i < items.size());
    return items[i];
  }
};

struct JsonParser {
  const std::string& s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && std::string(" \t\r\n").find(s[i]) != std::string::npos) ++i;
  }
  void expect(char c) {
    ws();
    INFO("at " << i << ": expected '" << c << "'");
    REQUIRE(i < s.size());
    REQUIRE(s[i] == c);
    ++i;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (true) {
      REQUIRE(i < s.size());
      const char c = s[i++];
      if (c == '"') return out;
      REQUIRE(static_cast<unsigned char>(c) >= 0x20);  // raw control characters are invalid JSON
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = s[i++];
      if (e == 'n') out += '\n';
      else if (e == 't') out += '\t';
      else if (e == 'u') {
        out += char(std::stoi(s.substr(i, 4), nullptr, 16));
        i += 4;
      } else {
        REQUIRE(std::string("\"\\/").find(e) != std::string::npos);
        out += e;
      }
    }
  }
  Json value() {
    ws();
    REQUIRE(i < s.size());
    Json j;
    const char c = s[i];
    if (c == '{') {
      j.type = Json::object;
      ++i;
      ws();
      if (s[i] == '}') return ++i, j;
      while (true) {
        const std::string k = str();
        expect(':');
        j.fields[k] = value();
        ws();
        if (s[i] == ',') { ++i; continue; }
        expect('}');
        return j;
      }
    }
    if (c == '[') {
      j.type = Json::array;
      ++i;
      ws();
      if (s[i] == ']') return ++i, j;
      while (true) {
        j.items.push_back(value());
        ws();
        if (s[i] == ',') { ++i; continue; }
        expect(']');
        return j;
      }
    }
    if (c == '"') {
      j.type = Json::string;
      j.str = str();
      return j;
    }
    for (const char* lit : {"null", "true", "false"})
      if (s.compare(i, std::strlen(lit), lit) == 0) {
        i += std::strlen(lit);
        j.type = lit[0] == 'n' ? Json::null : Json::boolean;
        j.b = lit[0] == 't';
        return j;
      }
    // number: JSON grammar only (no nan, inf, leading +, hex)
    const std::regex num(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
    std::smatch m;
    const std::string rest = s.substr(i, 40);
    INFO("number at " << i << ": " << rest);
    REQUIRE(std::regex_search(rest, m, num, std::regex_constants::match_continuous));
    j.type = Json::number;
    j.num = std::strtod(m.str().c_str(), nullptr);
    i += m.length();
    return j;
  }
  Json parse() {
    Json j = value();
    ws();
    REQUIRE(i == s.size());
    return j;
  }
};
Json parse_json(const std::string& s) {
  JsonParser p{s};
  return p.parse();
}

CscResult hand_made() {
  CscResult r;
  r.rule = "LrpAlphaBeta(alpha=2, \"beta\"=1) \\ x";
  r.injected = 7;
  r.samples = 5;
  r.images = 20;
  for (int k = 0; k < 2; ++k) {
    CscLayer l;
    l.node = k == 0 ? 7 : -1;
    l.name = k == 0 ? "fc3" : "input";
    l.kind = k == 0 ? "Dense" : "Input";
    l.channels = k == 0 ? 10 : 3;
    l.count = 123456789012LL;
    l.mean = k == 0 ? 0.1 : std::numeric_limits<double>::quiet_NaN();
    l.median = k == 0 ? 1.0 / 3.0 : std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < l.percentiles.size(); ++q) l.percentiles[q] = 1e-300 * double(q) + 0.01 * double(q);
    l.percentiles[9] = k == 0 ? 0.9999999999999999 : std::numeric_limits<double>::quiet_NaN();
    for (std::size_t b = 0; b < l.histogram.size(); ++b) l.histogram[b] = Index(b * 1000 + k);
    l.baseline = k == 0 ? 0.228 : 0.5;
    l.subsampled = k == 1;
    r.layers.push_back(l);
  }
  return r;
}

// --- SVG helpers ---
/// Every start tag has its end tag in the right order (self-closing tags count as both).
bool tags_balanced(const std::string& svg, std::string& why) {
  std::vector<std::string> stack;
  const std::regex tag(R"(<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (m[3] == "/") continue;
    if (m[1] == "/") {
      if (stack.empty() || stack.back() != m[2]) {
        why = "unexpected </" + m[2].str() + ">";
        return false;
      }
      stack.pop_back();
    } else stack.push_back(m[2]);
  }
  why = stack.empty() ? "" : "unclosed <" + stack.back() + ">";
  return stack.empty();
}
/// Every number in points="...", cx/cy/x/y/width/height/x1/y1/x2/y2="..." and path d="...".
std::vector<std::string> coordinates(const std::string& svg) {
  std::vector<std::string> out;
  const std::regex attr(R"re(\s(points|cx|cy|x|y|x1|y1|x2|y2|width|height|d)="([^"]*)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), attr); it != std::sregex_iterator(); ++it) {
    const std::string v = (*it)[2];
    const std::regex tok(R"([^\s,MVhH]+)");
    for (auto t = std::sregex_iterator(v.begin(), v.end(), tok); t != std::sregex_iterator(); ++t) out.push_back(t->str());
  }
  return out;
}
struct Rect {
  double x, y, w, h;
};
std::vector<Rect> plot_areas(const std::string& svg) {
  std::vector<Rect> out;
  const std::regex r(R"re(class="plot-area" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), r); it != std::sregex_iterator(); ++it)
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
  return out;
}
/// (x, y) pairs of the polylines of a series, in the given part of the document.
std::vector<std::pair<double, double>> polyline(const std::string& part, const std::string& series) {
  std::vector<std::pair<double, double>> out;
  const std::regex r("<polyline data-series=\"" + series + "\" points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(part.begin(), part.end(), r); it != std::sregex_iterator(); ++it) {
    std::istringstream is((*it)[1].str());
    std::string p;
    while (is >> p) {
      const auto c = p.find(',');
      out.emplace_back(std::stod(p.substr(0, c)), std::stod(p.substr(c + 1)));
    }
  }
  return out;
}
CscResult synthetic(const std::string& rule, const std::vector<double>& medians) {
  CscResult r;
  r.rule = rule;
  r.injected = Index(medians.size()) - 2;
  for (std::size_t i = 0; i < medians.size(); ++i) {
    CscLayer l;
    l.node = Index(medians.size()) - 2 - Index(i);
    l.name = l.node < 0 ? "input" : "layer" + std::to_string(l.node);
    l.median = medians[i];
    l.baseline = 0.1;
    r.layers.push_back(l);
  }
  return r;
}
}  // namespace

TEST_CASE("CSC to_json: every field round-trips, NaN and infinity become null, strings escaped",
          "[metrics][csc][output]") {
  const CscResult r = hand_made();
  const std::string text = to_json({r, r});
  const Json j = parse_json(text);
  REQUIRE(j.type == Json::array);
  REQUIRE(j.items.size() == 2);
  const Json& o = j[1];
  CHECK(o["rule"].str == r.rule);
  CHECK(o["injected"].num == 7);
  CHECK(o["samples"].num == 5);
  CHECK(o["images"].num == 20);
  // the paper's percentile levels and histogram bins (rules-spec 3.2)
  const std::vector<double> levels{0, 1, 5, 10, 20, 50, 80, 95, 99, 100};
  const std::vector<double> bins{0, .1, .2, .3, .4, .5, .6, .7, .8, .9, .99, .999, .9999, 1};
  REQUIRE(o["percentile_levels"].items.size() == levels.size());
  for (std::size_t q = 0; q < levels.size(); ++q) CHECK(o["percentile_levels"][q].num == levels[q]);
  REQUIRE(o["histogram_bins"].items.size() == bins.size());
  for (std::size_t q = 0; q < bins.size(); ++q) CHECK(o["histogram_bins"][q].num == bins[q]);
  REQUIRE(o["layers"].items.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const Json& l = o["layers"][k];
    const CscLayer& e = r.layers[k];
    CHECK(l["position"].num == double(k));
    CHECK(l["node"].num == double(e.node));
    CHECK(l["name"].str == e.name);
    CHECK(l["kind"].str == e.kind);
    CHECK(l["channels"].num == double(e.channels));
    CHECK(l["count"].num == 123456789012.0);
    CHECK(l["baseline"].num == e.baseline);  // exact: 17 significant digits round-trip
    CHECK(l["subsampled"].type == Json::boolean);
    CHECK(l["subsampled"].b == e.subsampled);
    REQUIRE(l["percentiles"].items.size() == 10);
    for (std::size_t q = 0; q < 9; ++q) CHECK(l["percentiles"][q].num == e.percentiles[q]);
    REQUIRE(l["histogram"].items.size() == 13);
    for (std::size_t b = 0; b < 13; ++b) CHECK(l["histogram"][b].num == double(b * 1000 + k));
  }
  CHECK(o["layers"][0]["mean"].num == 0.1);
  CHECK(o["layers"][0]["median"].num == 1.0 / 3.0);
  CHECK(o["layers"][0]["percentiles"][9].num == 0.9999999999999999);
  CHECK(o["layers"][1]["mean"].type == Json::null);         // NaN
  CHECK(o["layers"][1]["median"].type == Json::null);       // +inf
  CHECK(o["layers"][1]["percentiles"][9].type == Json::null);
  CHECK(text.find("nan") == std::string::npos);
  CHECK(text.find("inf") == std::string::npos);
  CHECK(text.find(R"("rule": "LrpAlphaBeta(alpha=2, \"beta\"=1) \\ x")") != std::string::npos);
}

TEST_CASE("CSC to_json: control characters, empty input, a measured result", "[metrics][csc][output]") {
  CscResult r;
  r.rule = std::string("a\nb\tc") + char(1);
  const Json j = parse_json(to_json({r}));
  CHECK(j[0]["rule"].str == r.rule);
  CHECK(j[0]["layers"].items.empty());
  const Json e = parse_json(to_json({}));
  CHECK(e.type == Json::array);
  CHECK(e.items.empty());

  // A measured result: the JSON and the CSV carry the same median per layer.
  Random rng(4);
  Network<double> net;
  Dense<double> d1(6, 8), d2(8, 4);
  rng.fill_normal(d1.weight().mutable_view());
  rng.fill_normal(d2.weight().mutable_view());
  net.add(d1, "fc1");
  net.add(ReLU<double>(), "relu1");
  net.add(d2, "fc2");
  Tensor<double> x(Shape{3, 6});
  rng.fill_normal(x.view());
  CscOptions opt;
  opt.samples = 4;
  const CscResult m = cosine_similarity_convergence(net, LrpZPlus(), x.cview(), "fc2", opt);
  const Json jm = parse_json(to_json({m}));
  REQUIRE(jm[0]["layers"].items.size() == m.layers.size());
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    CHECK(jm[0]["layers"][i]["median"].num == m.layers[i].median);
    CHECK(jm[0]["layers"][i]["count"].num == double(m.layers[i].count));
  }
  CHECK(jm[0]["layers"][0]["count"].num == 3 * 6);  // 3 images x C(4, 2) pairs x 1 dense vector
}

TEST_CASE("csc_svg: well-formed, every series, finite coordinates, log panel maps 1 - median",
          "[metrics][csc][output][svg]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // medians from the top layer down: 1 - median = 0.9, 1e-2, 1e-4, 0 (clamped to 1e-8), NaN
  const std::vector<CscResult> rs{synthetic("Rule <A> & co", {0.1, 0.99, 0.9999, 1.0, nan}),
                                  synthetic("GuidedBackprop", {0.2, 0.5, 0.6, 0.7, 0.8})};
  CscPlotOptions opt;
  opt.title = "CSC \"test\"";
  const std::string svg = csc_svg(rs, opt);
  std::string why;
  CHECK(tags_balanced(svg, why));
  INFO(why);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("data-series=\"Rule &lt;A&gt; &amp; co\"") != std::string::npos);
  CHECK(svg.find("data-series=\"GuidedBackprop\"") != std::string::npos);
  CHECK(svg.find("data-series=\"random baseline\"") != std::string::npos);
  CHECK(svg.find("CSC &quot;test&quot;") != std::string::npos);
  for (const char* label : {"1 - 1e-2", "1 - 1e-4", "1 - 1e-8", "layer3", "layer0", "input"})
    CHECK(svg.find(std::string(">") + label + "<") != std::string::npos);
  CHECK(svg.find("1 - 1e-9") == std::string::npos);  // lower limit 1e-8
  for (const auto& c : coordinates(svg)) {
    INFO(c);
    char* end = nullptr;
    const double v = std::strtod(c.c_str(), &end);
    CHECK(*end == '\0');
    CHECK(std::isfinite(v));
  }

  const auto areas = plot_areas(svg);
  REQUIRE(areas.size() == 2);
  const auto second = svg.find("<g class=\"panel\">", svg.find("<g class=\"panel\">") + 1);
  REQUIRE(second != std::string::npos);
  // (a) linear: y = bottom - h (m + 0.05) / 1.1; x = the category centres
  const auto lin = polyline(svg.substr(0, second), "GuidedBackprop");
  REQUIRE(lin.size() == 5);
  const Rect a = areas[0];
  const std::vector<double> gm{0.2, 0.5, 0.6, 0.7, 0.8};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(lin[i].second == Approx(a.y + a.h - a.h * (gm[i] + 0.05) / 1.1).margin(0.011));
    CHECK(lin[i].first == Approx(a.x + a.w * (double(i) + 0.5) / 5).margin(0.011));
  }
  // (b) log, inverted, [1e-8, 1]: 1 - median = v at y = top + h (log10 v + 8) / 8 (1e-8 on top)
  const auto lg = polyline(svg.substr(second), "Rule &lt;A&gt; &amp; co");
  REQUIRE(lg.size() == 4);  // the NaN input layer is left out
  const Rect b = areas[1];
  const std::vector<double> one_minus{0.9, 1e-2, 1e-4, 1e-8};
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(lg[i].second == Approx(b.y + b.h * (std::log10(one_minus[i]) + 8) / 8).margin(0.011));
  CHECK(lg[2].second == Approx(b.y + b.h / 2).margin(0.011));
  CHECK(lg[3].second == Approx(b.y).margin(0.011));  // converged exactly: drawn at the top
  // the baseline 0.1 -> 1 - 0.1 = 0.9 at every layer
  const auto bl = polyline(svg.substr(second), "random baseline");
  REQUIRE(bl.size() == 5);
  CHECK(bl[4].second == Approx(b.y + b.h * (std::log10(0.9) + 8) / 8).margin(0.011));
}

TEST_CASE("sanity SVGs: random-logit whiskers and randomisation bands", "[metrics][sanity][output][svg]") {
  RandomLogitResult a, b;
  a.rule = "Gradient";
  a.summary = {0.45, 0.3, 0.6};
  b.rule = "LrpAlphaBeta(1, 0)";
  b.summary = {0.98, 0.96, 0.99};
  const std::string s1 = random_logit_svg({a, b});
  std::string why;
  CHECK(tags_balanced(s1, why));
  CHECK(s1.find("class=\"whisker\" data-series=\"Gradient\"") != std::string::npos);
  CHECK(s1.find("data-series=\"LrpAlphaBeta(1, 0)\"") != std::string::npos);
  const Rect r1 = plot_areas(s1).at(0);
  // the marker of the second rule at y(0.98)
  const std::regex circle("<circle data-series=\"LrpAlphaBeta\\(1, 0\\)\" cx=\"([^\"]+)\" cy=\"([^\"]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(s1, m, circle));
  CHECK(std::stod(m[2]) == Approx(r1.y + r1.h - r1.h * (0.98 + 0.05) / 1.1).margin(0.011));
  CHECK(std::stod(m[1]) == Approx(r1.x + r1.w * 1.5 / 2).margin(0.011));

  RandomizationResult c;
  c.rule = "GuidedBackprop";
  for (const char* n : {"fc3", "conv5_3", "conv1_1"}) {
    RandomizationStep st;
    st.layer = n;
    st.summary = {0.9, 0.85, 0.95};
    c.steps.push_back(st);
  }
  RandomizationResult g = c;
  g.rule = "Gradient";
  g.steps.pop_back();
  const std::string s2 = randomization_svg({c, g});
  CHECK(tags_balanced(s2, why));
  CHECK(s2.find("class=\"band\" data-series=\"GuidedBackprop\"") != std::string::npos);
  CHECK(polyline(s2, "Gradient").size() == 2);
  CHECK(polyline(s2, "GuidedBackprop").size() == 3);
  for (const char* n : {">fc3<", ">conv5_3<", ">conv1_1<"}) CHECK(s2.find(n) != std::string::npos);
}

TEST_CASE("SVG writers reject empty or inconsistent input", "[metrics][csc][output][svg]") {
  CHECK_THROWS_AS(csc_svg({}), ArgumentError);
  CHECK_THROWS_WITH(csc_svg({}), Catch::Contains("arg.853"));
  CHECK_THROWS_AS(csc_svg({CscResult{}}), ArgumentError);
  CscPlotOptions bad;
  bad.log_floor = 0;
  CHECK_THROWS_AS(csc_svg({synthetic("r", {0.5, 0.6})}, bad), ParameterError);
  CHECK_THROWS_AS(random_logit_svg({}), ArgumentError);
  CHECK_THROWS_AS(randomization_svg({}), ArgumentError);
  CHECK_THROWS_AS(randomization_svg({RandomizationResult{}}), ArgumentError);
  CHECK_THROWS_AS(to_svg(SvgFigure{}), ArgumentError);

  SvgFigure f;
  f.panels.resize(1);
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("arg.851"));  // a panel without series
  SvgSeries s;
  s.name = "s";
  f.panels[0].series = {s};
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("arg.852"));  // a series without values
  s.y = {1, 2, 3};
  s.lo = {0, 1};
  s.hi = {2, 3};
  f.panels[0].series = {s};
  CHECK_THROWS_AS(to_svg(f), ShapeError);
  s.lo = s.hi = {};
  f.panels[0].series = {s};
  f.panels[0].y.scale = SvgScale::log;
  f.panels[0].y.min = -1;
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("param.851"));
  f.panels[0].y.scale = SvgScale::linear;
  f.panels[0].y.min = 5;
  f.panels[0].y.max = 1;
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("param.850"));
  f.panels[0].y.min = f.panels[0].y.max = std::numeric_limits<double>::quiet_NaN();
  f.panels[0].categories = {"a", "b"};
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("shape.852"));  // 3 values for 2 categories
  f.panels[0].categories.clear();
  f.panels[0].y.ticks = {1, 2};
  f.panels[0].y.tick_labels = {"one"};
  CHECK_THROWS_WITH(to_svg(f), Catch::Contains("shape.850"));
  f.panels[0].y.tick_labels.clear();
  std::string why;
  const std::string ok = to_svg(f);  // automatic ranges and ticks
  CHECK(tags_balanced(ok, why));
}

namespace {
// --- a minimal RFC 4180 reader, independent of report/csv.hpp: records end at CRLF, LF or a
// lone CR outside quotes; a quoted field may hold commas, line breaks and "" for one quote ---
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    std::string& field = rows.back().back();
    if (quoted) {
      if (c != '"') field += c;
      else if (i + 1 < s.size() && s[i + 1] == '"') field += '"', ++i;
      else quoted = false;
    } else if (c == '"') {
      REQUIRE(field.empty());  // a quote may only open a field
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      rows.emplace_back(1);
    } else {
      field += c;
    }
  }
  REQUIRE_FALSE(quoted);
  if (rows.back() == std::vector<std::string>(1)) rows.pop_back();  // after the last line break
  return rows;
}
}  // namespace

TEST_CASE("CSV output: fields with a comma, a quote, CR or LF are quoted as RFC 4180 says", "[metrics][output][csv]") {
  const std::string rule = "LrpEpsilon(epsilon=0.25, \"stabilised\")\nline two", layer = "block,1\r\nconv";
  CscResult r = synthetic(rule, {0.5, 0.75});
  r.layers[0].name = layer;
  r.layers[1].kind = "Odd\rKind";
  const auto rows = parse_csv(to_csv({r}));
  REQUIRE(rows.size() == 3);
  for (const auto& row : rows) CHECK(row.size() == 20);  // 9 fields, 10 percentiles, baseline
  CHECK(rows[0][0] == "rule");
  CHECK(rows[1][0] == rule);
  CHECK(rows[2][0] == rule);
  CHECK(rows[1][3] == layer);
  CHECK(rows[2][3] == "input");
  CHECK(rows[2][4] == "Odd\rKind");
  CHECK(std::stod(rows[1][8]) == 0.5);
  CHECK(std::stod(rows[2][8]) == 0.75);
  // plain fields stay unquoted (the output of ordinary names is unchanged)
  CHECK(to_csv({synthetic("Gradient", {0.5})}).find("\nGradient,-1,0,input,,") != std::string::npos);

  FaithfulnessReport rep;
  const std::string model = "m,\"1\"", method = "IG\nsteps=8", criterion = "C\r";
  rep.set(model, method, criterion, 0.5);
  rep.set("plain", "GxI", "U", 2);
  const auto frows = parse_csv(rep.to_csv());
  REQUIRE(frows.size() == 3);
  CHECK(frows[1] == std::vector<std::string>{model, method, criterion, "0.5"});
  CHECK(frows[2] == std::vector<std::string>{"plain", "GxI", "U", "2"});
}
