/* Opens the KVM device named on the command line and asks its API version, as every KVM user
 * (QEMU, Firecracker, crosvm) does first. Without the device: "/dev/kvm: No such file or directory". */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror(dev);
        return 1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    printf("KVM API version %d\n", version);
    close(fd);
    return version == KVM_API_VERSION ? 0 : 1;
}
