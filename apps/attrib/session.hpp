#pragma once
// What explain and report share: the model loaded for the inputs' shape, the preprocessed
// inputs, the context of the rules and each input's prediction.
#include "model.hpp"
#include "registry.hpp"

namespace attrib::cli {

struct Session {
  LoadedModel model;
  std::vector<Input> inputs;
  Context ctx;
  std::vector<std::vector<double>> logits;  ///< per input
  std::vector<Index> predicted;             ///< argmax per input
};

Session open_session(const Options& o);

/// The target classes of one input for --target (top1, topK or a class index).
std::vector<Index> targets_for(const std::string& target, const std::vector<double>& logits);

/// The methods named by --rule / --rules (or the defaults), validated up front.
std::vector<const Method*> chosen_methods(const std::vector<std::string>& names, const std::vector<std::string>& defaults);

/// f_c(x) - f_c(0) of the model on one input (DeepLIFT's and IG's completeness target).
double output_delta(const Network<T>& net, ConstView<T> x, Index c);

int run_explain(const Options& o);
int run_report(const Options& o);
int run_info(const Options& o);

}  // namespace attrib::cli
