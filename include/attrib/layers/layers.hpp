#pragma once
// Every layer header of attrib/layers/.
#include "attrib/layers/adaptive_avg_pool2d.hpp"
#include "attrib/layers/add.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/batch_norm2d.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/dense.hpp"
#include "attrib/layers/flatten.hpp"
#include "attrib/layers/identity.hpp"
#include "attrib/layers/max_pool2d.hpp"
#include "attrib/layers/normalize.hpp"
#include "attrib/layers/relu.hpp"
#include "attrib/layers/traits.hpp"
