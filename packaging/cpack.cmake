# CPack: a .deb with the binary, a desktop entry, the icon and the bundled sample/model.
# Shared-library dependencies come from dpkg-shlibdeps; GStreamer plugins and OpenBLAS are loaded at
# run time, so they are declared by hand.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/polyplens.desktop DESTINATION share/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/polyplens.svg
        DESTINATION share/icons/hicolor/scalable/apps)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/polyplens.png
        DESTINATION share/icons/hicolor/256x256/apps)
foreach(_dir samples models)
  if(EXISTS ${PROJECT_SOURCE_DIR}/resources/${_dir})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/${_dir}/ DESTINATION share/polyplens/${_dir})
  endif()
endforeach()

set(CPACK_PACKAGE_NAME "polyplens")
set(CPACK_PACKAGE_VENDOR "PolypLens")
set(CPACK_PACKAGE_CONTACT "PolypLens developers <polyplens@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "polyplens")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-plugins-ugly, gstreamer1.0-libav, libopenblas0-pthread")
set(CPACK_GENERATOR "DEB")
include(CPack)
