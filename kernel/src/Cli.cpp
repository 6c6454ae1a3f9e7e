#include <steadyproxy/kernel/AdminServer.h>
#include <steadyproxy/kernel/Cli.h>
#include <steadyproxy/kernel/Kernel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>
#include <Poco/Util/ServerApplication.h>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <termios.h>
#include <unistd.h>

#include <steadyproxy/kernel/DataJsonImport.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <sstream>
#include <fstream>

#include "EmbeddedConfig.h"

namespace steadyproxy::kernel {

namespace {

const char* kUsage = R"(steadyproxy: a steady proxy endpoint for every rotating proxy key

Usage: steadyproxy [--config FILE] <command> [arguments]

Commands:
  serve             run the server (admin API, endpoints, rotation, health checks)
  config validate   check the configuration; exit 1 naming file, line and key
  config options    list every configuration key with its default and environment variable
  plugins           list the configured plugins (id, kind, version, file)
  user add|passwd|list   manage admin accounts
  key add|list|rotate|rm   manage provider keys and their endpoints
  import FILE       import the earlier KiotProxy Manager's data.json
  router render     print what the configured routers would write
  version           print the version

Options:
  --config FILE, -c FILE   the YAML configuration (default: $STEADYPROXY_CONFIG, else
                           conf/steadyproxy.yaml if it exists, else the embedded defaults)
  --help, -h               this text; `steadyproxy <command> --help` explains a command
)";

struct CommandHelp
{
    const char* usage;
    const char* text;
};

const std::map<std::string, CommandHelp>& helps()
{
    static const std::map<std::string, CommandHelp> h{
        {"serve", {"steadyproxy serve", "Runs the server until SIGTERM/SIGINT: loads the plugins, serves every key's endpoint,\n"
                                        "rotates upstreams, checks health and answers the admin API. With no user in the\n"
                                        "store it creates the first admin from ADMIN_USERNAME/ADMIN_PASSWORD, or with a\n"
                                        "random password printed once."}},
        {"config", {"steadyproxy config validate\n       steadyproxy config options",
                    "validate: checks the configuration (YAML syntax, unknown keys, types, ranges, plugins) and\n"
                    "prints every problem as file:line: key: message. Exit 0 when valid, 1 otherwise.\n"
                    "options: prints every key the kernel and the configured plugins accept, as a Markdown table."}},
        {"plugins", {"steadyproxy plugins", "Lists the configured plugins: id, kind, version, build and file."}},
        {"version", {"steadyproxy version", "Prints the version of steadyproxy and the sdk ABI number its plugins must be built against."}},
        {"user", {"steadyproxy user add NAME [--role admin|user] [--password-stdin]\n"
                  "       steadyproxy user passwd NAME [--password-stdin]\n"
                  "       steadyproxy user list",
                  "Manages admin accounts. The password is read from standard input with --password-stdin\n"
                  "(one line), asked for on a terminal, or else generated and printed once."}},
        {"router", {"steadyproxy router render",
                    "Prints the configuration each configured router plugin (Traefik, HAProxy) would write for\n"
                    "the endpoints in the store, without writing it."}},
        {"import", {"steadyproxy import DATA_JSON",
                    "Imports the earlier KiotProxy Manager's data.json: settings, users (their bcrypt passwords keep\n"
                    "working), keys (subdomain, port and region kept; the provider key encrypted) and their logs.\n"
                    "Prints a report of what was imported and what was skipped and why; running it twice changes nothing."}},
        {"key", {"steadyproxy key add [SECRET] [--secret-stdin] [--name NAME] [--region bac|trung|nam|random]\n"
                 "                        [--provider ID] [--owner USERNAME]\n"
                 "       steadyproxy key list\n"
                 "       steadyproxy key rotate ID|proxyN [--region bac|trung|nam|random] [--url ADMIN_URL]\n"
                 "       steadyproxy key rm ID|proxyN",
                 "Manages provider keys. `key add` stores the key (encrypted) and gives it an endpoint\n"
                 "(name proxyN, its own port, generated credentials); a running server serves keys added or\n"
                 "removed here at its next reload (SIGHUP) or restart and then obtains or releases the upstream.\n"
                 "Prefer --secret-stdin: arguments are visible to other local users.\n"
                 "`key rotate` asks the running server (admin API at admin.host:admin.port, or --url) to rotate\n"
                 "now, or when the provider allows; it needs an API token in STEADYPROXY_API_TOKEN."}},
    };
    return h;
}

/// Arguments of one subcommand: positionals and --flags (with or without a value).
struct Args
{
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const
    {
        auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
};

class UsageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

Args parseArgs(const std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& valued,
               const std::vector<std::string>& flags)
{
    Args out;
    for (std::size_t i = from; i < args.size(); ++i)
    {
        const std::string& a = args[i];
        if (a.rfind("--", 0) == 0 && a.size() > 2)
        {
            std::string name = a.substr(2), value;
            bool inlineValue = false;
            if (name.find('=') != std::string::npos)
            {
                value = name.substr(name.find('=') + 1);
                name = name.substr(0, name.find('='));
                inlineValue = true;
            }
            if (std::find(valued.begin(), valued.end(), name) != valued.end())
            {
                if (!inlineValue)
                {
                    if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
                    value = args[++i];
                }
                out.options[name] = value;
            }
            else if (std::find(flags.begin(), flags.end(), name) != flags.end() && !inlineValue)
                out.options[name] = "1";
            else
                throw UsageError("unknown option --" + name);
        }
        else
            out.positional.push_back(a);
    }
    return out;
}

std::string defaultConfigPath()
{
    if (const char* env = std::getenv("STEADYPROXY_CONFIG"); env && *env) return env;
    if (Poco::File("conf/steadyproxy.yaml").exists()) return "conf/steadyproxy.yaml";
    return "";
}

/// A Kernel built from the file, or from the embedded defaults when there is none.
} // namespace

std::unique_ptr<Kernel> makeKernel(const std::string& configPath)
{
    if (!configPath.empty()) return std::make_unique<Kernel>(configPath);
    return std::make_unique<Kernel>(Config::parse(kEmbeddedConfig, "<embedded default configuration>"));
}

namespace {

/// The kernel with its plugins loaded but their sections not checked (listing commands).
std::unique_ptr<Kernel> loadOnly(const std::string& configPath)
{
    return configPath.empty()
               ? std::make_unique<Kernel>(Config::parse(kEmbeddedConfig, "<embedded default configuration>"), false)
               : std::make_unique<Kernel>(Config::load(configPath), false);
}

std::string formatTime(EpochMs ms)
{
    if (!ms) return "-";
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string readPassword(std::istream& in, std::ostream& out, bool fromStdin, bool& generated)
{
    generated = false;
    std::string password;
    if (fromStdin)
    {
        std::getline(in, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        return password;
    }
    if (::isatty(STDIN_FILENO))
    {
        termios old{};
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~ECHO;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        out << "Password: " << std::flush;
        std::getline(in, password);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        out << "\n";
        return password;
    }
    generated = true;
    return SecretBox::randomToken(15);
}

/// Prints every configuration key (kernel and loaded plugins) as a Markdown table.
int cmdConfigOptions(const std::string& configPath, std::ostream& out)
{
    auto kernel = loadOnly(configPath);
    static const char* types[] = {"string", "integer", "boolean", "list"};
    out << "| key | type | default | environment | meaning |\n|---|---|---|---|---|\n";
    for (const auto& [key, option] : buildSchema(kernel->plugins()).options())
    {
        std::string type = types[static_cast<int>(option.type)];
        if (option.type == ConfigOption::Type::Integer && option.min < option.max)
            type += " " + std::to_string(option.min) + "..." + std::to_string(option.max);
        std::string help = option.help;
        if (!option.choices.empty())
        {
            help += " (";
            for (std::size_t i = 0; i < option.choices.size(); ++i) help += (i ? ", " : "") + option.choices[i];
            help += ")";
        }
        if (option.required) help += "; required";
        out << "| `" << key << "` | " << type << " | " << (option.defaultValue.empty() ? "" : "`" + option.defaultValue + "`")
            << " | " << (option.env.empty() ? "" : "`" + option.env + "`") << " | " << help << " |\n";
    }
    return 0;
}

int cmdConfig(const std::string& configPath, const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    if (args.size() == 2 && args[1] == "options") return cmdConfigOptions(configPath, out);
    if (args.size() < 2 || args[1] != "validate") throw UsageError("usage: steadyproxy config validate|options");
    std::string path = configPath.empty() ? "<embedded default configuration>" : configPath;
    try
    {
        makeKernel(configPath);
    }
    catch (const std::exception& e)
    {
        err << e.what() << "\n";
        return 1;
    }
    out << path << ": valid\n";
    return 0;
}

int cmdPlugins(const std::string& configPath, std::ostream& out)
{
    auto kernel = loadOnly(configPath);
    for (const auto& p : kernel->plugins().plugins())
        out << p.id << "\t" << p.kind << "\t" << p.version << "\t" << p.buildId << "\t" << p.file << "\n";
    return 0;
}

int cmdUser(const std::string& configPath, const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err)
{
    if (args.size() < 2) throw UsageError(helps().at("user").usage);
    const std::string& sub = args[1];
    Args a = parseArgs(args, 2, {"role"}, {"password-stdin"});
    auto kernel = makeKernel(configPath);
    kernel->start(false);
    Storage& store = kernel->storage();
    if (sub == "list")
    {
        for (const auto& u : store.listUsers())
            out << u.id << "\t" << u.username << "\t" << u.role << "\t" << (u.disabled ? "disabled" : "active") << "\t"
                << formatTime(u.createdAt) << "\n";
        return 0;
    }
    if (sub != "add" && sub != "passwd") throw UsageError(helps().at("user").usage);
    if (a.positional.size() != 1) throw UsageError("give exactly one user name");
    std::string name = a.positional[0];
    if (name.empty() || name.size() > 64 || name.find_first_of(" \t\r\n:/") != std::string::npos)
    {
        err << "the user name must be 1 to 64 characters without spaces, ':' or '/'\n";
        return 1;
    }
    std::string role = a.get("role", "user");
    if (role != "admin" && role != "user")
    {
        err << "--role must be admin or user, got \"" << role << "\"\n";
        return 1;
    }
    bool generated = false;
    auto existing = store.findUserByName(name);
    if (sub == "add" && existing)
    {
        err << "a user named \"" << name << "\" already exists (use `user passwd` to change the password)\n";
        return 1;
    }
    if (sub == "passwd" && !existing)
    {
        err << "no user named \"" << name << "\"\n";
        return 1;
    }
    std::string password = readPassword(in, out, a.has("password-stdin"), generated);
    std::string hash;
    try
    {
        hash = kernel->auth().hashPassword(password);
    }
    catch (const ValidationError& e)
    {
        err << "password refused: " << e.what() << "\n";
        return 1;
    }
    if (sub == "add")
    {
        User u;
        u.username = name;
        u.role = role;
        u.passwordHash = hash;
        u.createdAt = kernel->clock().now();
        std::int64_t id = store.addUser(u);
        out << "added user " << name << " (id " << id << ", role " << role << ")\n";
    }
    else
    {
        User u = *existing;
        u.passwordHash = hash;
        store.updateUser(u);
        store.removeSessionsOfUser(u.id);
        out << "changed the password of " << name << "; their sessions were signed out\n";
    }
    if (generated) out << "password (shown once): " << password << "\n";
    return 0;
}

std::int64_t findKeyId(KeyService& keys, const std::string& ref)
{
    for (const auto& v : keys.list())
        if (v.key.subdomain == ref || std::to_string(v.key.id) == ref) return v.key.id;
    throw NotFoundError("no key " + ref + " (give its id or its proxyN name; see `steadyproxy key list`)");
}

/// Rotation needs the running server (it owns the live lease table): ask it through the
/// admin API with the API token from STEADYPROXY_API_TOKEN.
int rotateThroughServer(const std::string& url, std::int64_t id, const std::string& region, std::ostream& out,
                        std::ostream& err)
{
    const char* token = std::getenv("STEADYPROXY_API_TOKEN");
    if (!token || !*token)
    {
        err << "key rotate asks the running server: set STEADYPROXY_API_TOKEN to an API token "
               "(create one in the web pages or with POST /api/tokens)\n";
        return 2;
    }
    Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/api/proxies/" + std::to_string(id) + "/rotate",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", std::string("Bearer ") + token);
    request.setContentType("application/json");
    Poco::JSON::Object body;
    if (!region.empty()) body.set("region", region);
    std::ostringstream text;
    body.stringify(text);
    request.setContentLength(static_cast<std::streamsize>(text.str().size()));
    Poco::JSON::Object::Ptr answer;
    Poco::Net::HTTPResponse response;
    try
    {
        session.sendRequest(request) << text.str();
        std::istream& in = session.receiveResponse(response);
        Poco::JSON::Parser parser;
        answer = parser.parse(in).extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception& e)
    {
        err << "cannot reach the server at " << url << ": " << e.displayText() << "\n";
        return 1;
    }
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
    {
        auto error = answer && answer->has("error") ? answer->getObject("error") : nullptr;
        err << "the server refused (" << response.getStatus() << "): "
            << (error ? error->getValue<std::string>("message") : response.getReason()) << "\n";
        return 1;
    }
    out << answer->getValue<std::string>("message") << "\n";
    return 0;
}

int cmdKey(const std::string& configPath, const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err)
{
    if (args.size() < 2) throw UsageError(helps().at("key").usage);
    const std::string& sub = args[1];
    Args a = parseArgs(args, 2, {"name", "region", "provider", "owner", "url"}, {"secret-stdin"});
    auto kernel = makeKernel(configPath);
    kernel->start(false);
    KeyService& keys = kernel->keys();
    if (sub == "rotate")
    {
        if (a.positional.size() != 1) throw UsageError("usage: steadyproxy key rotate ID|proxyN [--region R] [--url URL]");
        std::int64_t id = findKeyId(keys, a.positional[0]);
        const auto& o = kernel->options();
        std::string url = a.get("url", "http://" + o.adminHost + ":" + std::to_string(o.adminPort));
        return rotateThroughServer(url, id, a.get("region"), out, err);
    }
    if (sub == "list")
    {
        for (const auto& v : keys.list())
        {
            out << v.key.id << "\t" << v.key.subdomain << "\t" << v.key.port << "\t" << v.key.name << "\t"
                << v.key.secretMasked << "\t" << v.key.region << "\t" << v.key.status << "\t"
                << (v.lease ? v.lease->realIp : "-") << "\t" << formatTime(v.lease ? v.lease->expiresAt : 0) << "\n";
        }
        return 0;
    }
    if (sub == "rm")
    {
        if (a.positional.size() != 1) throw UsageError("usage: steadyproxy key rm ID|proxyN");
        std::int64_t id = findKeyId(keys, a.positional[0]);
        keys.removeKey(id);
        out << "removed key " << a.positional[0] << "\n";
        return 0;
    }
    if (sub != "add") throw UsageError(helps().at("key").usage);
    std::string secret;
    if (a.has("secret-stdin"))
        std::getline(in, secret);
    else if (a.positional.size() == 1)
        secret = a.positional[0];
    else
        throw UsageError("give the provider key as an argument or with --secret-stdin");
    KeyService::NewKey request;
    request.secret = secret;
    request.name = a.get("name");
    request.region = a.get("region", "random");
    request.providerId = a.get("provider");
    std::string owner = a.get("owner");
    if (!owner.empty())
    {
        auto user = kernel->storage().findUserByName(owner);
        if (!user)
        {
            err << "no user named \"" << owner << "\"\n";
            return 1;
        }
        request.ownerId = user->id;
    }
    KeyView v = keys.addKey(request);
    out << "added " << v.key.secretMasked << " as " << v.key.subdomain << " (id " << v.key.id << ")\n"
        << "endpoint: http://" << v.key.endpointUser << ":" << keys.endpointPassword(v.key.id) << "@" << kernel->options().proxyHost
        << ":" << v.key.port << "\n"
        << "a running server serves it at its next reload (SIGHUP, `systemctl reload steadyproxy` or "
           "POST /api/config/reload) or restart\n";
    return 0;
}

int cmdImport(const std::string& configPath, const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    if (args.size() != 2) throw UsageError(helps().at("import").usage);
    std::ifstream in(args[1], std::ios::binary);
    if (!in)
    {
        err << "cannot read " << args[1] << "\n";
        return 1;
    }
    Poco::JSON::Object::Ptr data;
    try
    {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(in);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw ValidationError("data", "the file must hold a JSON object");
        data = parsed.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception& e)
    {
        err << args[1] << " is not valid JSON: " << e.message() << "\n";
        return 1;
    }
    auto kernel = makeKernel(configPath);
    kernel->start(false);
    auto report = importDataJson(*kernel, data);
    report->stringify(out, 2);
    out << "\n";
    return 0;
}

int cmdRouter(const std::string& configPath, const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    if (args.size() != 2 || args[1] != "render") throw UsageError(helps().at("router").usage);
    auto kernel = makeKernel(configPath);
    kernel->start(false);
    auto routers = kernel->registry().allOf<RouterWriter>();
    if (routers.empty())
    {
        err << "no router plugin is configured: add router.traefik (or another router) to plugins.load\n";
        return 1;
    }
    RouterSnapshot snapshot = kernel->keys().routerSnapshot();
    for (auto* router : routers)
    {
        if (routers.size() > 1) out << "# " << kernel->registry().idOf(router) << "\n";
        out << router->render(snapshot);
    }
    return 0;
}

} // namespace

int runCli(const std::vector<std::string>& argv, std::istream& in, std::ostream& out, std::ostream& err)
{
    std::string configPath = defaultConfigPath();
    std::vector<std::string> args;
    bool help = false;
    for (std::size_t i = 1; i < argv.size(); ++i)
    {
        const std::string& a = argv[i];
        if (args.empty() && (a == "--config" || a == "-c"))
        {
            if (i + 1 >= argv.size())
            {
                err << "--config needs a file name\n";
                return 2;
            }
            configPath = argv[++i];
        }
        else if (args.empty() && a.rfind("--config=", 0) == 0)
            configPath = a.substr(9);
        else if (a == "--help" || a == "-h")
            help = true;
        else if (args.empty() && a == "--version")
            args.push_back("version");
        else
            args.push_back(a);
    }
    if (args.empty())
    {
        (help ? out : err) << kUsage;
        return help ? 0 : 2;
    }
    const std::string command = args[0];
    if (help)
    {
        auto it = helps().find(command);
        if (it == helps().end())
        {
            out << kUsage;
            return command == "help" ? 0 : 2;
        }
        out << "Usage: " << it->second.usage << "\n\n" << it->second.text << "\n";
        return 0;
    }
    try
    {
        configureLogging(std::getenv("STEADYPROXY_LOG_LEVEL") ? std::getenv("STEADYPROXY_LOG_LEVEL") : "warning", "text");
        if (command == "version")
        {
            out << "steadyproxy " STEADYPROXY_VERSION " (sdk ABI " << SP_SDK_ABI_VERSION << ")\n";
            return 0;
        }
        if (command == "help")
        {
            out << kUsage;
            return 0;
        }
        if (command == "serve")
        {
            if (args.size() > 1) throw UsageError("serve takes no arguments");
            return serve(configPath.empty() ? std::string() : configPath);
        }
        if (command == "config") return cmdConfig(configPath, args, out, err);
        if (command == "plugins") return cmdPlugins(configPath, out);
        if (command == "user") return cmdUser(configPath, args, in, out, err);
        if (command == "key") return cmdKey(configPath, args, in, out, err);
        if (command == "import") return cmdImport(configPath, args, out, err);
        if (command == "router") return cmdRouter(configPath, args, out, err);
        err << "unknown command \"" << command << "\"\n\n" << kUsage;
        return 2;
    }
    catch (const UsageError& e)
    {
        err << e.what() << "\n";
        return 2;
    }
    catch (const ValidationError& e)
    {
        err << e.field() << ": " << e.what() << "\n";
        return 1;
    }
    catch (const std::exception& e)
    {
        err << e.what() << "\n";
        return 1;
    }
}

} // namespace steadyproxy::kernel
