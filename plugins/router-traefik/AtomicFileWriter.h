#pragma once
#include <string>

namespace steadyproxy::router {

/// Replaces `<directory>/<fileName>` with `content` so that a reader sees either the old or
/// the new file, never a partial one, and the new one survives a crash once this returns:
/// write `.<fileName>.tmp` (a dot-file that Traefik's file provider ignores, since it does
/// not end in .yml/.yaml/.toml), fsync it, rename it over the target, fsync the directory.
/// Creates `directory` if missing. Throws steadyproxy::Error naming the path and the
/// system's reason; the previous file is then left in place. One call at a time per file.
void writeFileAtomically(const std::string& directory, const std::string& fileName, const std::string& content);

/// The temporary name writeFileAtomically() uses for `fileName`.
std::string temporaryNameFor(const std::string& fileName);

} // namespace steadyproxy::router
