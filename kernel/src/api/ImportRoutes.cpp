#include <steadyproxy/kernel/DataJsonImport.h>
#include <steadyproxy/kernel/Kernel.h>
#include <steadyproxy/kernel/api/Routes.h>

namespace steadyproxy::kernel::api {

void addImportRoutes(Router& router, ApiServices& s)
{
    router.add("POST", "/api/import", Access::Admin, "Import the earlier KiotProxy Manager's data.json", [&s](ApiRequest& r) {
        try
        {
            return ok(importDataJson(s.kernel, r.json()));
        }
        catch (const ValidationError& e)
        {
            throw ApiError(422, "invalid_value", e.what(), e.field());
        }
    });
}

} // namespace steadyproxy::kernel::api
