#pragma once
#include "Database.h"

namespace steadyproxy::sqlite {

/// A write transaction on a Database for the life of the object: BEGIN IMMEDIATE in the
/// constructor (takes the write lock up front, so a busy database fails here and not halfway
/// through), COMMIT in commit(), ROLLBACK in the destructor when commit() was not reached.
class Transaction
{
public:
    explicit Transaction(Database& db);
    ~Transaction();

    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    /// Commits; after this the destructor does nothing. Throws what the commit throws (the
    /// destructor then rolls back).
    void commit();

private:
    Database& _db;
    bool _open = true;
};

} // namespace steadyproxy::sqlite
