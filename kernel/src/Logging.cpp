#include <steadyproxy/kernel/Cli.h>
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FileChannel.h>
#include <mutex>
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

namespace {
Poco::AutoPtr<Poco::Channel> g_output;
std::mutex g_mutex;
} // namespace

void reopenLogFile()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (auto* file = dynamic_cast<Poco::FileChannel*>(g_output.get())) file->close(); // reopened by the next line
}

void configureLogging(const std::string& level, const std::string& format, const std::string& file)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (format == "json")
        formatter = new JsonFormatter;
    else
        formatter = new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t");
    if (file.empty())
        g_output = new Poco::ConsoleChannel(std::clog);
    else
    {
        Poco::AutoPtr<Poco::FileChannel> channel(new Poco::FileChannel(file));
        channel->open();
        g_output = channel;
    }
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, g_output));
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
