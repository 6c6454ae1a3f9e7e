#pragma once
#include <Poco/Data/RecordSet.h>
#include <cstdint>
#include <string>

namespace steadyproxy::sqlite {

/// Reads one row of a RecordSet by column name, turning NULL into the type's empty value.
/// Valid while the RecordSet lives.
class Row
{
public:
    Row(const Poco::Data::RecordSet& rows, std::size_t index);

    /// An INTEGER column as 64 bits.
    std::int64_t int64(const std::string& column) const;
    /// An INTEGER column as int.
    int int32(const std::string& column) const;
    /// An INTEGER column holding 0 or 1.
    bool boolean(const std::string& column) const;
    /// A TEXT column, bytes as stored (UTF-8).
    std::string text(const std::string& column) const;

private:
    const Poco::Data::RecordSet& _rows;
    std::size_t _index;
};

} // namespace steadyproxy::sqlite
