// Drives the REAL built provider.http-api.so for the Python tests: loads it as the kernel
// would (configOptions defaults, environment overrides, then the given values), performs
// one call and prints one JSON line with the lease or the error kind. Logs go to stderr.
//
//   http_api_driver <info|options|validate|current|acquire|release> [--key K] [--region R]
//                   [--key-id N] [--set name=value]... [--plugin-dir DIR] [--clock-offset-ms N]
//
// List options are given item by item: --set errors.key_not_found[0]=E_KEY.
// --plugin-id ID drives another provider the same way (tests/plugins/provider-example uses
// it for the out-of-tree example provider).
#include "TestPluginContext.h"
#include <steadyproxy/sdk/UpstreamProvider.h>
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Environment.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Util/MapConfiguration.h>
#include <chrono>
#include <iostream>
#include <sstream>

using namespace steadyproxy;

namespace {

const char* kindName(ProviderError::Kind k)
{
    switch (k)
    {
    case ProviderError::Kind::Transient: return "Transient";
    case ProviderError::Kind::TooEarly: return "TooEarly";
    case ProviderError::Kind::KeyNotFound: return "KeyNotFound";
    case ProviderError::Kind::KeyExpired: return "KeyExpired";
    case ProviderError::Kind::NoLease: return "NoLease";
    case ProviderError::Kind::Rejected: return "Rejected";
    }
    return "?";
}

Poco::JSON::Object::Ptr upstreamJson(const Upstream& u)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("kind", u.kind == Upstream::Kind::Http ? "http" : u.kind == Upstream::Kind::Socks5 ? "socks5" : "direct");
    o->set("host", u.host);
    o->set("port", static_cast<int>(u.port));
    o->set("username", u.username);
    o->set("password", u.password);
    o->set("describe", u.describe());
    return o;
}

Poco::JSON::Object::Ptr leaseJson(const Lease& l)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("keyId", static_cast<Poco::Int64>(l.keyId));
    o->set("http", upstreamJson(l.http));
    o->set("socks5", upstreamJson(l.socks5));
    o->set("hasHttp", l.hasHttp());
    o->set("hasSocks5", l.hasSocks5());
    o->set("realIp", l.realIp);
    o->set("location", l.location);
    o->set("region", l.region);
    o->set("obtainedAt", static_cast<Poco::Int64>(l.obtainedAt));
    o->set("expiresAt", static_cast<Poco::Int64>(l.expiresAt));
    o->set("nextChangeAt", static_cast<Poco::Int64>(l.nextChangeAt));
    o->set("ttlSeconds", l.ttlSeconds);
    return o;
}

int usage(const std::string& why)
{
    std::cerr << "http_api_driver: " << why << "\n"
              << "usage: http_api_driver <info|options|validate|current|acquire|release> [--key K] [--region R]\n"
              << "       [--key-id N] [--set name=value]... [--plugin-dir DIR] [--plugin-id ID] [--clock-offset-ms N]\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) return usage("no operation");
    const std::string op = argv[1];
    ProviderKey key;
    key.keyId = 1;
    std::string region = "random";
    std::string pluginDir;
    std::string pluginId = "provider.http-api";
    long long clockOffset = 0;
    std::vector<std::pair<std::string, std::string>> sets;
    for (int i = 2; i < argc; ++i)
    {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try
        {
            if (a == "--key") key.secret = value();
            else if (a == "--region") region = key.region = value();
            else if (a == "--key-id") key.keyId = std::stoll(value());
            else if (a == "--plugin-dir") pluginDir = value();
            else if (a == "--plugin-id") pluginId = value();
            else if (a == "--clock-offset-ms") clockOffset = std::stoll(value());
            else if (a == "--set")
            {
                std::string kv = value();
                auto eq = kv.find('=');
                if (eq == std::string::npos) return usage("--set needs name=value");
                sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
            }
            else return usage("unknown argument " + a);
        }
        catch (const std::exception& e)
        {
            return usage(e.what());
        }
    }

    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
    Poco::Logger::root().setChannel(console);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_DEBUG);

    Poco::JSON::Object out;
    out.set("op", op);
    auto started = std::chrono::steady_clock::now();
    try
    {
        std::unique_ptr<Plugin> plugin = test::loadPlugin(pluginId, pluginDir);
        auto* provider = dynamic_cast<UpstreamProvider*>(plugin.get());
        if (!provider) throw std::runtime_error(pluginId + " is not an UpstreamProvider");

        // As the kernel does: defaults, then the environment, then the file's values.
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        Poco::JSON::Array::Ptr options = new Poco::JSON::Array;
        for (const ConfigOption& o : provider->configOptions())
        {
            if (!o.defaultValue.empty()) config->setString(o.key, o.defaultValue);
            if (!o.env.empty() && Poco::Environment::has(o.env)) config->setString(o.key, Poco::Environment::get(o.env));
            Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
            j->set("key", o.key);
            j->set("type", static_cast<int>(o.type));
            j->set("default", o.defaultValue);
            j->set("env", o.env);
            j->set("min", o.min);
            j->set("max", o.max);
            j->set("help", o.help);
            j->set("required", o.required);
            Poco::JSON::Array::Ptr choices = new Poco::JSON::Array;
            for (const auto& c : o.choices) choices->add(c);
            j->set("choices", choices);
            options->add(j);
        }
        for (const auto& [k, v] : sets) config->setString(k, v);

        test::TestPluginContext context(pluginId);
        context.clk.offset = clockOffset;
        context.reg.add(pluginId, plugin.get());

        if (op == "options")
        {
            out.set("options", options);
            Poco::JSON::Array::Ptr regions = new Poco::JSON::Array;
            for (const auto& r : provider->regions()) regions->add(r);
            out.set("regions", regions);
            out.set("ok", true);
        }
        else
        {
            provider->configure(*config);
            provider->start(context);
            started = std::chrono::steady_clock::now();
            if (op == "info") out.set("ok", true);
            else if (op == "validate")
            {
                provider->validateSecret(key.secret);
                out.set("ok", true);
            }
            else if (op == "current")
            {
                auto lease = provider->current(key);
                out.set("ok", true);
                if (lease) out.set("lease", leaseJson(*lease));
                else out.set("lease", Poco::Dynamic::Var());
            }
            else if (op == "acquire")
            {
                Lease lease = provider->acquire(key, region);
                out.set("ok", true);
                out.set("lease", leaseJson(lease));
            }
            else if (op == "release")
            {
                provider->release(key);
                out.set("ok", true);
            }
            else
            {
                provider->stop();
                return usage("unknown operation " + op);
            }
            out.set("now", static_cast<Poco::Int64>(context.clk.now()));
            provider->stop();
        }
    }
    catch (const ProviderError& e)
    {
        Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
        err->set("type", "ProviderError");
        err->set("kind", kindName(e.kind()));
        err->set("message", std::string(e.what()));
        err->set("retryAt", static_cast<Poco::Int64>(e.retryAt()));
        err->set("permanent", e.isPermanent());
        out.set("ok", false);
        out.set("error", err);
    }
    catch (const ValidationError& e)
    {
        Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
        err->set("type", "ValidationError");
        err->set("field", e.field());
        err->set("message", std::string(e.what()));
        out.set("ok", false);
        out.set("error", err);
    }
    catch (const ConfigError& e)
    {
        Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
        err->set("type", "ConfigError");
        err->set("key", e.key());
        err->set("message", std::string(e.what()));
        out.set("ok", false);
        out.set("error", err);
    }
    catch (const std::exception& e)
    {
        Poco::JSON::Object::Ptr err = new Poco::JSON::Object;
        err->set("type", "exception");
        err->set("message", std::string(e.what()));
        out.set("ok", false);
        out.set("error", err);
    }
    out.set("elapsedMs", static_cast<Poco::Int64>(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started).count()));
    if (!out.has("now"))
    {
        test::ManualClock clock;
        clock.offset = clockOffset;
        out.set("now", static_cast<Poco::Int64>(clock.now()));
    }
    std::ostringstream s;
    out.stringify(s);
    std::cout << s.str() << std::endl;
    return 0;
}
