#pragma once
// Umbrella header for the model-agnostic attribution methods (docs/methods.md).
#include "attrib/methods/common.hpp"
#include "attrib/methods/deep_shap.hpp"
#include "attrib/methods/expected_gradients.hpp"
#include "attrib/methods/grad_cam.hpp"
#include "attrib/methods/integrated_gradients.hpp"
#include "attrib/methods/occlusion.hpp"
#include "attrib/methods/shapley.hpp"
#include "attrib/methods/smooth_grad.hpp"
