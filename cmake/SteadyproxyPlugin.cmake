# steadyproxy_add_plugin(<id> SOURCES ... [LIBRARIES ...])
#
# Builds one plugin as a MODULE library named <id>.so (the id is the dotted plugin id,
# e.g. provider.kiotproxy) into the plugin output folder, with hidden visibility and no
# undefined symbols. A plugin links the sdk target, Poco and its own libraries only.
# Used both in this tree and by out-of-tree plugins through find_package(steadyproxy-sdk).
# In this tree, a plugin under plugins/ also installs to STEADYPROXY_PLUGIN_INSTALL_DIR
# (default ${CMAKE_INSTALL_LIBDIR}/steadyproxy/plugins, where the kernel looks); fixture
# plugins and out-of-tree plugins install nothing (an out-of-tree plugin adds its own
# install() rule, see examples/provider-example).
function(steadyproxy_add_plugin id)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  string(REPLACE "." "_" target "plugin_${id}")
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${id}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED STEADYPROXY_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${STEADYPROXY_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  if(TARGET steadyproxy::sdk)
    target_link_libraries(${target} PRIVATE steadyproxy::sdk ${ARG_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE steadyproxy_sdk ${ARG_LIBRARIES})
  endif()
  if(TARGET steadyproxy_sdk AND DEFINED steadyproxy_SOURCE_DIR)
    string(FIND "${CMAKE_CURRENT_SOURCE_DIR}/" "${steadyproxy_SOURCE_DIR}/plugins/" at)
    if(at EQUAL 0)
      if(NOT DEFINED STEADYPROXY_PLUGIN_INSTALL_DIR)
        set(STEADYPROXY_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/steadyproxy/plugins)
      endif()
      install(TARGETS ${target} LIBRARY DESTINATION ${STEADYPROXY_PLUGIN_INSTALL_DIR})
    endif()
  endif()
  set(STEADYPROXY_LAST_PLUGIN_TARGET ${target} PARENT_SCOPE)
endfunction()
