#pragma once
/// Export macros and the ABI number shared by the kernel and every plugin.
///
/// SP_SDK_ABI_VERSION changes whenever an sdk interface or value type changes in a way
/// that breaks binary compatibility. The kernel refuses a plugin built against another
/// number (see PluginInfo::abi).

#define SP_SDK_ABI_VERSION 3

/// Marks sdk classes (interfaces, exceptions) as exported even when a plugin is built with
/// -fvisibility=hidden, so that RTTI (dynamic_cast, catch by type) works across objects.
#define SP_API __attribute__((visibility("default")))
