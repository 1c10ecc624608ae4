#pragma once
// Every layer header of attrib/layers/ (the runtime layer list includes them all).
#include "attrib/layers/any_layer.hpp"
#include "attrib/layers/traits.hpp"
