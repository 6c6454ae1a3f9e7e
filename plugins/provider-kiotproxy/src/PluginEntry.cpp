#include "KiotProxyProvider.h"

using KiotProxyProvider = steadyproxy::kiotproxy::KiotProxyProvider;
STEADYPROXY_PLUGIN(KiotProxyProvider, "provider.kiotproxy", "1.0.0", "", "KiotProxy rotating residential proxies")
