{
  "variables": {
    "tk_common_cflags": ["-std=c++17", "-O3", "-ffp-contract=off", "-fexceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"]
  },
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native/include",
      "native"
    ],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    }
  },
  "targets": [
    {
      "target_name": "textkernels",
      "sources": ["<!@(node scripts/list-sources.js base)"],
      "cflags_cc": ["<@(tk_common_cflags)"],
      "libraries": ["-lpthread", "-ldl"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["tk_avx2", "tk_avx512"],
          "defines": ["TK_HAVE_X86_KERNELS=1"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "tk_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/list-sources.js avx2)"],
          "cflags_cc": ["<@(tk_common_cflags)", "-fPIC", "-mavx2", "-mfma", "-mf16c"]
        },
        {
          "target_name": "tk_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/list-sources.js avx512)"],
          "cflags_cc": ["<@(tk_common_cflags)", "-fPIC", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-mf16c", "-Wno-uninitialized"]
        }
      ]
    }]
  ]
}
