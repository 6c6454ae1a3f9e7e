#pragma once
#include <string>

namespace steadyproxy::router::haproxy {

/// Replaces `<directory>/<fileName>` in two steps so that the new content can be checked
/// before it is installed: write() puts it in `.<fileName>.tmp` (a dot-file HAProxy's
/// directory mode ignores, since it does not end in .cfg) and fsyncs it; commit() renames
/// it over the target and fsyncs the directory. A reader sees the old or the new file,
/// never a partial one. Until commit() the target is untouched; the destructor removes a
/// temporary that was not committed.
///
/// Copied from router.traefik's AtomicFileWriter and split into write()/commit() so that
/// `haproxy -c` can judge the temporary first; both should later move to one shared place.
///
/// Throws steadyproxy::Error naming the path and the system's reason (errno); the previous
/// file is then left in place. Not thread-safe: one instance per write, one write at a time.
class AtomicFile
{
public:
    AtomicFile(std::string directory, std::string fileName);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Creates `directory` if missing, writes `content` to the temporary and flushes it.
    void write(const std::string& content);
    /// Renames the temporary over the target and makes the rename durable.
    void commit();

    std::string targetPath() const { return _directory + "/" + _fileName; }
    std::string temporaryPath() const { return _directory + "/" + temporaryNameFor(_fileName); }

    /// The temporary name used for `fileName`.
    static std::string temporaryNameFor(const std::string& fileName) { return "." + fileName + ".tmp"; }

private:
    std::string _directory;
    std::string _fileName;
    bool _written = false;
};

} // namespace steadyproxy::router::haproxy
