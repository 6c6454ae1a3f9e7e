#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/Metrics.h>
#include <steadyproxy/sdk/ForwardProxy.h>
#include <Poco/DirectoryIterator.h>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace steadyproxy::kernel {

namespace {

std::string escape(const std::string& v)
{
    std::string out;
    for (char c : v)
    {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string number(double v)
{
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    std::ostringstream out;
    out << std::setprecision(10) << v;
    return out.str();
}

/// Writes one metric family: HELP, TYPE, then the samples added with sample().
class Family
{
public:
    Family(std::ostringstream& out, const std::string& name, const std::string& type, const std::string& help):
        _out(out), _name(name)
    {
        _out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    void sample(const std::map<std::string, std::string>& labels, double value, const std::string& suffix = "")
    {
        _out << _name << suffix;
        if (!labels.empty())
        {
            _out << "{";
            bool first = true;
            for (const auto& [k, v] : labels)
            {
                _out << (first ? "" : ",") << k << "=\"" << escape(v) << "\"";
                first = false;
            }
            _out << "}";
        }
        _out << " " << number(value) << "\n";
    }
    void histogram(const std::map<std::string, std::string>& labels, const DurationHistogram& h)
    {
        for (std::size_t i = 0; i < h.counts.size(); ++i)
        {
            auto l = labels;
            l["le"] = number(h.upperBoundsSeconds[i]);
            sample(l, static_cast<double>(h.counts[i]), "_bucket");
        }
        sample(labels, h.sumSeconds, "_sum");
        sample(labels, static_cast<double>(h.count), "_count");
    }
private:
    std::ostringstream& _out;
    std::string _name;
};

void processFigures(std::ostringstream& out)
{
    long page = ::sysconf(_SC_PAGESIZE);
    long ticks = ::sysconf(_SC_CLK_TCK);
    std::ifstream statm("/proc/self/statm");
    long vsize = 0, rss = 0;
    statm >> vsize >> rss;
    Family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").sample({}, double(rss) * page);
    Family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.").sample({}, double(vsize) * page);
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    std::vector<std::string> f;
    while (fields >> field) f.push_back(field);
    // after ")": state(0) ... utime(11) stime(12) ... num_threads(17) ... starttime(19)
    if (f.size() > 19)
    {
        double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        Family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.").sample({}, cpu);
        Family(out, "steadyproxy_process_threads", "gauge", "Threads of the process.").sample({}, std::stod(f[17]));
        std::ifstream uptime("/proc/uptime");
        double up = 0;
        uptime >> up;
        double start = double(::time(nullptr)) - up + std::stod(f[19]) / ticks;
        Family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.").sample({}, std::floor(start));
    }
    std::size_t fds = 0;
    try
    {
        for (Poco::DirectoryIterator it(std::string("/proc/self/fd")), end; it != end; ++it) ++fds;
    }
    catch (...)
    {
    }
    Family(out, "process_open_fds", "gauge", "Number of open file descriptors.").sample({}, double(fds));
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    Family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.").sample({}, double(limit.rlim_cur));
}

} // namespace

void Metrics::countRotation(const std::string& reason, const std::string& result)
{
    std::lock_guard<std::mutex> lock(_mutex);
    ++_rotations[{reason, result}];
}

void Metrics::countProviderCall(const std::string& provider, const std::string& call, const std::string& outcome)
{
    std::lock_guard<std::mutex> lock(_mutex);
    ++_providerCalls[{provider, call, outcome}];
}

std::string Metrics::render(Kernel& kernel) const
{
    std::ostringstream out;
    auto views = kernel.keys().list();
    std::map<std::int64_t, std::string> names;
    for (const auto& v : views) names[v.key.id] = v.key.subdomain;

    std::vector<EndpointStats> stats;
    for (auto* proxy : kernel.registry().allOf<ForwardProxy>())
        for (auto& s : proxy->stats()) stats.push_back(std::move(s));
    auto endpointOf = [&](std::int64_t id) {
        auto it = names.find(id);
        return it == names.end() ? "key" + std::to_string(id) : it->second;
    };
    {
        Family active(out, "steadyproxy_endpoint_connections_active", "gauge", "Client connections open now, per endpoint.");
        for (const auto& s : stats) active.sample({{"endpoint", endpointOf(s.keyId)}}, double(s.activeConnections));
        Family total(out, "steadyproxy_endpoint_connections_total", "counter", "Client connections accepted, per endpoint.");
        for (const auto& s : stats) total.sample({{"endpoint", endpointOf(s.keyId)}}, double(s.totalConnections));
        Family bytes(out, "steadyproxy_endpoint_bytes_total", "counter", "Bytes relayed; direction in = client to upstream, out = upstream to client.");
        for (const auto& s : stats)
        {
            bytes.sample({{"endpoint", endpointOf(s.keyId)}, {"direction", "in"}}, double(s.bytesIn));
            bytes.sample({{"endpoint", endpointOf(s.keyId)}, {"direction", "out"}}, double(s.bytesOut));
        }
        Family errors(out, "steadyproxy_endpoint_errors_total", "counter", "Failed requests and tunnels, by kind.");
        for (const auto& s : stats)
            for (const auto& [kind, n] : s.errorsByKind) errors.sample({{"endpoint", endpointOf(s.keyId)}, {"kind", kind}}, double(n));
        Family listening(out, "steadyproxy_endpoint_listening", "gauge", "1 when the endpoint's port is bound.");
        for (const auto& s : stats) listening.sample({{"endpoint", endpointOf(s.keyId)}}, s.listening ? 1 : 0);
        Family requests(out, "steadyproxy_endpoint_request_duration_seconds", "histogram", "Duration of plain HTTP requests.");
        for (const auto& s : stats) requests.histogram({{"endpoint", endpointOf(s.keyId)}}, s.requestDurations);
        Family tunnels(out, "steadyproxy_endpoint_tunnel_duration_seconds", "histogram", "Duration of CONNECT and SOCKS5 tunnels.");
        for (const auto& s : stats) tunnels.histogram({{"endpoint", endpointOf(s.keyId)}}, s.tunnelDurations);
    }
    {
        std::lock_guard<std::mutex> lock(_mutex);
        Family rotations(out, "steadyproxy_rotations_total", "counter", "Rotations by reason and result.");
        for (const auto& [k, n] : _rotations) rotations.sample({{"reason", k.first}, {"result", k.second}}, double(n));
        Family calls(out, "steadyproxy_provider_calls_total", "counter", "Provider API calls by provider, call and outcome.");
        for (const auto& [k, n] : _providerCalls)
            calls.sample({{"provider", std::get<0>(k)}, {"call", std::get<1>(k)}, {"outcome", std::get<2>(k)}}, double(n));
    }
    {
        EpochMs now = kernel.clock().now();
        Family health(out, "steadyproxy_endpoint_health", "gauge", "1 for the endpoint's current health state.");
        Family latency(out, "steadyproxy_endpoint_health_latency_seconds", "gauge", "Latency of the last successful health check.");
        Family expiry(out, "steadyproxy_endpoint_upstream_expiry_seconds", "gauge", "Seconds until the current upstream expires.");
        Family keys(out, "steadyproxy_keys", "gauge", "Keys by status.");
        std::map<std::string, int> byStatus;
        for (const auto& v : views)
        {
            ++byStatus[v.key.status];
            std::map<std::string, std::string> l{{"endpoint", v.key.subdomain}};
            for (const char* state : {"active", "degraded", "error", "unknown"})
            {
                std::string current = v.health ? v.health->state : "unknown";
                auto labels = l;
                labels["state"] = state;
                health.sample(labels, current == state ? 1 : 0);
            }
            if (v.health && v.health->ok && v.health->latencyMs >= 0) latency.sample(l, v.health->latencyMs / 1000.0);
            if (v.lease && v.lease->expiresAt) expiry.sample(l, (v.lease->expiresAt - now) / 1000.0);
        }
        for (const auto& [status, n] : byStatus) keys.sample({{"status", status}}, n);
        Family plugins(out, "steadyproxy_plugin_up", "gauge", "1 when the plugin is started.");
        for (const auto& p : kernel.plugins().plugins()) plugins.sample({{"plugin", p.id}, {"kind", p.kind}}, p.started ? 1 : 0);
    }
    processFigures(out);
    return out.str();
}

} // namespace steadyproxy::kernel
