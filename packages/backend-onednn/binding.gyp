# The Node-API addon over oneDNN (scripts/build-native.mjs runs node-gyp on this).
# DNNL_INCLUDE / DNNL_LIB come from the build script: the system's oneDNN (libdnnl-dev, brew onednn)
# or DNNL_ROOT. The rpath lets a prebuilt addon load a libdnnl bundled beside it ($ORIGIN).
{
  "variables": {
    "dnnl_include%": "<!(node -p \"process.env.DNNL_INCLUDE || '/usr/include'\")",
    "dnnl_lib%": "<!(node -p \"process.env.DNNL_LIB || '/usr/lib/x86_64-linux-gnu'\")"
  },
  "targets": [
    {
      "target_name": "resnet_onednn",
      "sources": [
        "native/addon.cc",
        "native/conv.cc",
        "native/batch_norm.cc",
        "native/pool.cc",
        "native/elementwise.cc",
        "native/reduce.cc",
        "native/matmul.cc",
        "native/engine.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(dnnl_include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fno-math-errno", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["-L<(dnnl_lib)", "-ldnnl", "-fopenmp", "-Wl,-rpath,'$$ORIGIN'", "-Wl,-rpath,<(dnnl_lib)"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"],
        "OTHER_LDFLAGS": ["-Wl,-rpath,@loader_path", "-Wl,-rpath,<(dnnl_lib)"]
      }
    }
  ]
}
