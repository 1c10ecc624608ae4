#pragma once
// Umbrella header for the core library (tensors, layers, models, rules, explain).
// Optional I/O lives in attrib/io/ and is included separately.
#include "attrib/core/error.hpp"
#include "attrib/core/random.hpp"
#include "attrib/core/tensor.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/layers/layers.hpp"
#include "attrib/models/canonize.hpp"
#include "attrib/models/network.hpp"
#include "attrib/models/parameters.hpp"
#include "attrib/models/sequential.hpp"
#include "attrib/rules/composite.hpp"
#include "attrib/rules/gradient.hpp"
#include "attrib/rules/guided.hpp"
#include "attrib/rules/lrp.hpp"
#include "attrib/rules/presets.hpp"
#include "attrib/rules/rectgrad.hpp"
#include "attrib/explain.hpp"
