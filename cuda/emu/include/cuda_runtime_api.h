// The emulator build (cuda/emu/cuda_emu.h) stands in for the CUDA runtime headers.
#pragma once
#include "cuda/emu/cuda_emu.h"
