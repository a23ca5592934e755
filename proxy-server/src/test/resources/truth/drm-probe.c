/* A libdrm client: with a device path, opens that DRM node and prints its driver (drmGetVersion);
 * with --count, counts the DRM devices libdrm finds (none is fine). Linked to Debian's libdrm.so.2;
 * the declarations are xf86drm.h's, so no -dev package is needed. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct _drmVersion {
    int version_major, version_minor, version_patchlevel;
    int name_len;
    char *name;
    int date_len;
    char *date;
    int desc_len;
    char *desc;
} drmVersion;
drmVersion *drmGetVersion(int fd);
void drmFreeVersion(drmVersion *v);
int drmGetDevices2(unsigned flags, void **devices, int max_devices);

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--count") == 0) {
        int n = drmGetDevices2(0, NULL, 0);
        printf("%d DRM devices\n", n < 0 ? 0 : n);
        return 0;
    }
    const char *dev = argc > 1 ? argv[1] : "/dev/dri/renderD128";
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror(dev);
        return 1;
    }
    drmVersion *v = drmGetVersion(fd);
    if (v == NULL) {
        fprintf(stderr, "%s: not a DRM device\n", dev);
        return 1;
    }
    printf("%s: %s %d.%d.%d\n", dev, v->name, v->version_major, v->version_minor, v->version_patchlevel);
    drmFreeVersion(v);
    close(fd);
    return 0;
}
