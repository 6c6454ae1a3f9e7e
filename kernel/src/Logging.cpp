#include <steadyproxy/kernel/Cli.h>
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <sstream>

namespace steadyproxy::kernel {

namespace {

/// One JSON object per line: time, level, source, message.
class JsonFormatter : public Poco::Formatter
{
public:
    void format(const Poco::Message& msg, std::string& text) override
    {
        static const char* levels[] = {"", "fatal", "critical", "error", "warning", "notice", "information", "debug", "trace"};
        Poco::JSON::Object o;
        o.set("time", Poco::DateTimeFormatter::format(msg.getTime(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT));
        o.set("level", levels[msg.getPriority()]);
        o.set("source", msg.getSource());
        o.set("message", msg.getText());
        std::ostringstream out;
        o.stringify(out);
        text = out.str();
    }
};

} // namespace

void configureLogging(const std::string& level, const std::string& format)
{
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (format == "json")
        formatter = new JsonFormatter;
    else
        formatter = new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t");
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::clog));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
    std::vector<std::string> names;
    Poco::Logger::names(names);
    for (const auto& name : names)
    {
        Poco::Logger::get(name).setChannel(channel);
        Poco::Logger::get(name).setLevel(Poco::Logger::parseLevel(level));
    }
}

} // namespace steadyproxy::kernel
