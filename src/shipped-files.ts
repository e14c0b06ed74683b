/**
 * Files that ship in rootfs/ (templates, the web page), which the image also links at /opt/idmail/rootfs.
 * Found from this module, one level below the package root both as source (src/) and as the built
 * bundle (dist/, where every chunk sits at the top).
 */
export const SHIPPED_ROOT = new URL('../rootfs/usr/share/idmail/', import.meta.url);
