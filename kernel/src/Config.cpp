#include <steadyproxy/kernel/Config.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace steadyproxy::kernel {

Config::Config(std::string source): _source(std::move(source)), _values(new Poco::Util::MapConfiguration) {}


std::string expandEnvironment(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        if (text[i] != '$' || i + 1 >= text.size()) { out += text[i]; continue; }
        if (text[i + 1] == '$') { out += '$'; ++i; continue; }
        if (text[i + 1] != '{') { out += text[i]; continue; }
        std::size_t close = text.find('}', i + 2);
        if (close == std::string::npos)
            throw ConfigError("", "unterminated ${ in \"" + text + "\"");
        std::string expr = text.substr(i + 2, close - i - 2);
        std::string name = expr, fallback;
        bool hasFallback = false;
        std::size_t sep = expr.find(":-");
        if (sep != std::string::npos)
        {
            name = expr.substr(0, sep);
            fallback = expr.substr(sep + 2);
            hasFallback = true;
        }
        const char* env = name.empty() ? nullptr : std::getenv(name.c_str());
        if (env && (*env || !hasFallback)) out += env;
        else out += fallback;
        i = close;
    }
    return out;
}

namespace {

/// "file:line: key: message", the order ConfigProblem::toString() uses.
ConfigError parseError(const std::string& at, const std::string& key, const std::string& message)
{
    return ConfigError("", at + ": " + (key.empty() ? "" : key + ": ") + message);
}

/// yaml-cpp accepts a mapping that repeats a key (the YAML spec does not), and `a.b: 1`
/// next to `a: {b: 2}` flattens to one key; either way one value would silently win.
void setOnce(Config& config, const std::string& key, const std::string& value, const std::string& at)
{
    if (config.has(key))
        throw parseError(at, key, "given twice (first at " + config.where(key) + "); keep one");
    config.set(key, value, at);
}

void flatten(const YAML::Node& node, const std::string& prefix, Config& config,
             const std::string& source, std::map<std::string, std::string>& where)
{
    std::string at = source + ":" + std::to_string(node.Mark().line + 1);
    switch (node.Type())
    {
    case YAML::NodeType::Map:
        if (node.size() == 0 && !prefix.empty()) setOnce(config, prefix, "", at);
        for (const auto& item : node)
        {
            if (!item.first.IsScalar())
                throw parseError(at, prefix, "mapping keys must be plain words");
            std::string key = item.first.Scalar();
            if (key.empty() || key.find_first_of("[] \t") != std::string::npos)
                throw parseError(source + ":" + std::to_string(item.first.Mark().line + 1), prefix,
                                 "\"" + key + "\" is not a valid key name");
            std::string full = prefix.empty() ? key : prefix + "." + key;
            // yaml-cpp marks an empty value (`key:`) at the next token, often the next line.
            if (item.second.IsNull())
                setOnce(config, full, "", source + ":" + std::to_string(item.first.Mark().line + 1));
            else
                flatten(item.second, full, config, source, where);
        }
        break;
    case YAML::NodeType::Sequence:
        if (node.size() == 0) setOnce(config, prefix, "", at);
        for (std::size_t i = 0; i < node.size(); ++i)
        {
            if (!node[i].IsScalar())
                throw parseError(source + ":" + std::to_string(node[i].Mark().line + 1), prefix,
                                 "list items must be plain values");
            flatten(node[i], prefix + "[" + std::to_string(i) + "]", config, source, where);
        }
        break;
    case YAML::NodeType::Null:
        setOnce(config, prefix, "", at);
        break;
    default:
        std::string value;
        try
        {
            value = expandEnvironment(node.Scalar());
        }
        catch (const ConfigError& e)
        {
            throw parseError(at, prefix, e.what());
        }
        setOnce(config, prefix, value, at);
    }
}

} // namespace

Config Config::parse(const std::string& text, const std::string& source)
{
    Config config(source);
    YAML::Node root;
    try
    {
        root = YAML::Load(text);
    }
    catch (const YAML::Exception& e)
    {
        throw ConfigError("", source + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    if (root.IsNull()) return config;
    if (!root.IsMap())
        throw ConfigError("", source + ":" + std::to_string(root.Mark().line + 1) + ": the top level must be a mapping of keys");
    std::map<std::string, std::string> where;
    flatten(root, "", config, source, where);
    return config;
}

Config Config::load(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError("", "cannot read the configuration file " + path + ": " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse(buffer.str(), path);
}

std::vector<std::string> Config::keys() const
{
    std::vector<std::string> out;
    for (const auto& [key, where] : _where) out.push_back(key);
    return out;
}

std::string Config::where(const std::string& key) const
{
    auto it = _where.find(key);
    return it == _where.end() ? _source : it->second;
}

void Config::set(const std::string& key, const std::string& value, const std::string& where)
{
    _values->setString(key, value);
    _where[key] = where;
}

void Config::remove(const std::string& key)
{
    _values->remove(key);
    _where.erase(key);
}

bool Config::has(const std::string& key) const
{
    return _where.count(key) > 0;
}

bool parseBool(const std::string& value)
{
    std::string v = Poco::toLower(Poco::trim(value));
    return v == "true" || v == "yes" || v == "on" || v == "1";
}

std::string checkValue(const ConfigOption& option, const std::string& value)
{
    using Type = ConfigOption::Type;
    switch (option.type)
    {
    case Type::Integer:
    {
        Poco::Int64 n = 0;
        if (!Poco::NumberParser::tryParse64(Poco::trim(value), n))
            return "expected a whole number, got \"" + value + "\"";
        if (option.min < option.max && (n < option.min || n > option.max))
            return "must be between " + std::to_string(option.min) + " and " + std::to_string(option.max) +
                   ", got " + std::to_string(n);
        return "";
    }
    case Type::Boolean:
    {
        std::string v = Poco::toLower(Poco::trim(value));
        static const char* ok[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
        if (std::find(std::begin(ok), std::end(ok), v) == std::end(ok))
            return "expected true or false, got \"" + value + "\"";
        return "";
    }
    case Type::String:
        if (!option.choices.empty() &&
            std::find(option.choices.begin(), option.choices.end(), value) == option.choices.end())
        {
            std::string list;
            for (const auto& c : option.choices) list += (list.empty() ? "" : ", ") + c;
            return "must be one of " + list + ", got \"" + value + "\"";
        }
        return "";
    case Type::StringList:
        return "";
    }
    return "";
}

void ConfigSchema::addSection(const std::string& prefix, const std::vector<ConfigOption>& options)
{
    _sections.emplace_back(prefix, options);
}

std::vector<std::pair<std::string, ConfigOption>> ConfigSchema::options() const
{
    std::vector<std::pair<std::string, ConfigOption>> out;
    for (const auto& [prefix, options] : _sections)
        for (const auto& option : options)
            out.emplace_back(prefix.empty() ? option.key : prefix + "." + option.key, option);
    return out;
}

const ConfigOption* ConfigSchema::findOption(const std::string& key, std::string& section) const
{
    std::string base = key.substr(0, key.find('['));
    const ConfigOption* best = nullptr;
    std::size_t bestLength = 0;
    for (const auto& [prefix, options] : _sections)
    {
        if (!prefix.empty() && base.compare(0, prefix.size() + 1, prefix + ".") != 0 && base != prefix) continue;
        if (prefix.size() < bestLength && best) continue;
        std::string rel = prefix.empty() ? base : (base == prefix ? "" : base.substr(prefix.size() + 1));
        for (const auto& option : options)
        {
            if (option.key == rel)
            {
                best = &option;
                bestLength = prefix.size();
                section = prefix;
            }
        }
    }
    return best;
}

std::vector<ConfigProblem> ConfigSchema::validate(Config& config) const
{
    std::vector<ConfigProblem> problems;
    // 1. every key present must be known and well-typed
    for (const std::string& key : config.keys())
    {
        std::string section;
        const ConfigOption* option = findOption(key, section);
        bool isItem = key.find('[') != std::string::npos;
        if (!option)
        {
            // A key that is a prefix of known options (a mapping written empty) is fine.
            bool parent = false;
            for (const auto& [full, opt] : options())
                if (full.compare(0, key.size() + 1, key + ".") == 0) parent = true;
            for (const auto& [prefix, opts] : _sections)
                if (prefix == key || prefix.compare(0, key.size() + 1, key + ".") == 0) parent = true;
            if (parent && config.values().getString(key).empty()) continue;
            bool pluginSection = key.rfind("plugins.", 0) == 0;
            bool sectionKnown = false;
            for (const auto& [prefix, opts] : _sections)
                if (!prefix.empty() && (key == prefix || key.compare(0, prefix.size() + 1, prefix + ".") == 0)) sectionKnown = true;
            problems.push_back({config.where(key), key,
                                pluginSection && !sectionKnown
                                    ? "no loaded plugin owns this section: add the plugin to plugins.load, or remove the section"
                                    : "unknown key (check the spelling; see docs/configuration.md)"});
            continue;
        }
        if (isItem && option->type != ConfigOption::Type::StringList)
        {
            problems.push_back({config.where(key), key, "expected a single value, not a list"});
            continue;
        }
        if (!isItem && option->type == ConfigOption::Type::StringList) continue;
        std::string error = checkValue(*option, config.values().getString(key));
        if (!error.empty()) problems.push_back({config.where(key), key, error});
    }
    // 2. environment overrides, then defaults and required keys
    for (const auto& [full, option] : options())
    {
        if (!option.env.empty())
        {
            const char* env = std::getenv(option.env.c_str());
            if (env && *env)
            {
                std::string where = "environment variable " + option.env;
                std::string error = checkValue(option, env);
                if (!error.empty())
                {
                    problems.push_back({where, full, error});
                    continue;
                }
                if (option.type == ConfigOption::Type::StringList)
                    for (int i = 0; config.has(full + "[" + std::to_string(i) + "]"); ++i)
                        config.remove(full + "[" + std::to_string(i) + "]");
                config.set(full, env, where);
                continue;
            }
        }
        bool present = config.has(full) || config.has(full + "[0]");
        if (!present && !option.defaultValue.empty())
            config.set(full, option.defaultValue, "default");
        else if (!present && option.required)
            problems.push_back({config.source(), full, "is required: " + option.help});
    }
    return problems;
}

} // namespace steadyproxy::kernel
