#include "HttpApiProvider.h"

using HttpApiProvider = steadyproxy::httpapi::HttpApiProvider;
STEADYPROXY_PLUGIN(HttpApiProvider, "provider.http-api", "1.0.0", "",
                   "Any rotating-proxy vendor with a JSON HTTP API, described in YAML")
