#include "ErrorMapping.h"
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>
#include <steadyproxy/sdk/Errors.h>
#include <cctype>
#include <exception>

namespace steadyproxy::sqlite {

void rethrowAsSdkError(const std::string& operation, const std::string& dbPath, const ConstraintHandler& onConstraint)
{
    try
    {
        throw;
    }
    catch (const Error&)
    {
        throw;
    }
    catch (const Poco::Data::SQLite::ConstraintViolationException& e)
    {
        if (onConstraint) onConstraint(e.displayText());
        throw ConflictError(operation + " conflicts with what is stored: " + e.displayText());
    }
    catch (const Poco::Data::SQLite::DBLockedException& e)
    {
        throw StorageError(operation + " failed: the database " + dbPath +
            " stayed locked by another connection for longer than busy_timeout_ms (" + e.displayText() + ")");
    }
    catch (const Poco::Exception& e)
    {
        throw StorageError(operation + " failed on " + dbPath + ": " + e.displayText());
    }
    catch (const std::exception& e)
    {
        throw StorageError(operation + " failed on " + dbPath + ": " + e.what());
    }
    catch (...)
    {
        throw StorageError(operation + " failed on " + dbPath + ": unknown error");
    }
}

bool namesColumn(const std::string& sqliteMessage, const std::string& tableDotColumn)
{
    std::string::size_type pos = sqliteMessage.find(tableDotColumn);
    while (pos != std::string::npos)
    {
        std::string::size_type end = pos + tableDotColumn.size();
        bool wordEnd = end == sqliteMessage.size() || !(std::isalnum(static_cast<unsigned char>(sqliteMessage[end])) || sqliteMessage[end] == '_');
        if (wordEnd) return true;
        pos = sqliteMessage.find(tableDotColumn, end);
    }
    return false;
}

bool isForeignKeyFailure(const std::string& sqliteMessage)
{
    return sqliteMessage.find("FOREIGN KEY constraint failed") != std::string::npos;
}

} // namespace steadyproxy::sqlite
