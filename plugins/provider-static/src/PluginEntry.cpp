#include "StaticProvider.h"

using StaticProvider = steadyproxy::staticprovider::StaticProvider;
STEADYPROXY_PLUGIN(StaticProvider, "provider.static", "1.0.0", "", "A fixed list of upstream proxies from configuration")
