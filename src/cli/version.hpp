#pragma once
#include "skiff_build_config.hpp"
#define SKIFF_VERSION_STRING SKIFF_VERSION
