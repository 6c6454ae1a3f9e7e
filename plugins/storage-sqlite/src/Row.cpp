#include "Row.h"

namespace steadyproxy::sqlite {

Row::Row(const Poco::Data::RecordSet& rows, std::size_t index):
    _rows(rows), _index(index)
{
}

std::int64_t Row::int64(const std::string& column) const
{
    Poco::Dynamic::Var v = _rows.value(column, _index);
    return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

int Row::int32(const std::string& column) const
{
    return static_cast<int>(int64(column));
}

bool Row::boolean(const std::string& column) const
{
    return int64(column) != 0;
}

std::string Row::text(const std::string& column) const
{
    Poco::Dynamic::Var v = _rows.value(column, _index);
    return v.isEmpty() ? std::string() : v.convert<std::string>();
}

} // namespace steadyproxy::sqlite
