#include "ExampleProvider.h"

// Exports steadyproxy_plugin_info() (ABI number, id, version, build, dependencies,
// description) and steadyproxy_plugin_create(). The id must match the file name
// (provider.example.so), which steadyproxy_add_plugin() takes care of.
STEADYPROXY_PLUGIN(example::ExampleProvider, "provider.example", "1.0.0", "",
                   "Example: upstreams from a configured list with a fixed lifetime")
