#include "Transaction.h"

namespace steadyproxy::sqlite {

Transaction::Transaction(Database& db):
    _db(db)
{
    _db.execute("BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (!_open) return;
    try
    {
        _db.execute("ROLLBACK");
    }
    catch (...)
    {
        // SQLite has already rolled back on some errors (I/O, full disk); nothing is left.
    }
}

void Transaction::commit()
{
    _db.execute("COMMIT");
    _open = false;
}

} // namespace steadyproxy::sqlite
