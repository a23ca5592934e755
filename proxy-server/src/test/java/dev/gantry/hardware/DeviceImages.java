package dev.gantry.hardware;

import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The truth corpus's device images: real Debian programs whose entry point opens a device (KVM, RDMA,
 * TPM, DRM, video4linux) and two compiled device clients, and beside each the same packages or
 * program with an entry point that needs no device
 * (QEMU's {@code -version}, which still loads libibverbs and librdmacm; {@code tpm2_rc_decode};
 * {@code --help}). Each image says which classes it was built to need; execution decides
 * ({@link DeviceMissing}), and {@link HardwareTruthIT} checks that the two agree, so the corpus keeps
 * its positives. Package lists are the programs' {@code DT_NEEDED} closures in Debian 12 (plus the TPM
 * device TCTI, which tpm2-tss opens with {@code dlopen}).
 */
final class DeviceImages {
    private static final List<String> QEMU = List.of("libaio1", "libbpf1", "libcapstone4", "libfdt1", "libfuse3-3",
            "libglib2.0-0", "libgmp10", "libgnutls30", "libhogweed6", "libibverbs1", "libjpeg62-turbo", "libnettle8",
            "libnuma1", "libpixman-1-0", "libpmem1", "libpng16-16", "librdmacm1", "libsasl2-2", "libseccomp2",
            "libslirp0", "libudev1", "liburing2", "libvdeplug2", "libzstd1", "zlib1g", "libdaxctl1", "libelf1", "libffi8",
            "libkmod2", "libmount1", "libndctl6", "libnl-3-200", "libnl-route-3-200", "libpcre2-8-0", "libselinux1",
            "libuuid1", "libp11-kit0", "libidn2-0", "libunistring2", "libtasn1-6", "libblkid1", "liblzma5", "libssl3",
            "qemu-system-x86");
    private static final List<String> RDMA = List.of("libnl-3-200", "libnl-route-3-200", "libibverbs1", "ibverbs-utils");
    private static final List<String> TPM = List.of("libcurl3-gnutls", "libssl3", "libtss2-esys-3.0.2-0", "libtss2-fapi1",
            "libtss2-mu0", "libtss2-rc0", "libtss2-sys1", "libtss2-tctildr0", "libtss2-tcti-device0", "libnghttp2-14",
            "libidn2-0", "librtmp1", "libssh2-1", "libpsl5", "libnettle8", "libgnutls30", "libgssapi-krb5-2",
            "libldap-2.5-0", "libzstd1", "libbrotli1", "zlib1g", "libunistring2", "libhogweed6", "libgmp10", "libp11-kit0",
            "libtasn1-6", "libkrb5-3", "libk5crypto3", "libcom-err2", "libkrb5support0", "libsasl2-2", "libffi8",
            "libkeyutils1", "tpm2-tools");
    private static final List<String> VAAPI = List.of("libva2", "libva-drm2", "libva-x11-2", "libva-wayland2", "libdrm2",
            "libffi8", "libwayland-client0", "libx11-6", "libx11-xcb1", "libxau6", "libxcb-dri3-0", "libxcb1",
            "libxdmcp6", "libxext6", "libxfixes3", "libbsd0", "libmd0", "vainfo");
    private static final List<String> V4L = List.of("libstdc++6", "libjpeg62-turbo", "libudev1", "libv4lconvert0",
            "libv4l-0", "libv4l2rds0", "v4l-utils");

    private DeviceImages() {
    }

    /**
     * Compiled device clients: {@code kvm-api} (opens the KVM device it is given and asks
     * KVM_GET_API_VERSION) and {@code drm-probe} (linked to Debian's libdrm: opens the DRM node it is
     * given, or with {@code --count} only counts what libdrm finds, which needs no device).
     */
    private static List<TruthImage> programs(TruthCorpus corpus) throws IOException, InterruptedException {
        Path src = Files.createDirectories(corpus.work().resolve("src-devices"));
        Path kvm = compile(corpus, src, "kvm-api");
        Path drm = compile(corpus, src, "drm-probe",
                corpus.pkg("amd64", "libdrm2").resolve("usr/lib/x86_64-linux-gnu/libdrm.so.2").toString());
        List<TruthImage> out = new ArrayList<>();
        out.add(with(corpus.debian("amd64", "kvm-api", "a C program: KVM_GET_API_VERSION on /dev/kvm", List.of(),
                Set.of("kvm"), "/usr/local/bin/kvm-api", "/dev/kvm"), kvm));
        out.add(with(corpus.debian("amd64", "drm-probe", "a libdrm client: drmGetVersion on /dev/dri/renderD128",
                List.of("libdrm2"), Set.of("gpu.dri"), "/usr/local/bin/drm-probe", "/dev/dri/renderD128"), drm));
        out.add(with(corpus.debian("amd64", "drm-count", "the same libdrm client, --count: no device needed",
                List.of("libdrm2"), Set.of(), "/usr/local/bin/drm-probe", "--count"), drm));
        return out;
    }

    /** Compiles {@code truth/NAME.c} for amd64 into its own layer, as {@code /usr/local/bin/NAME}. */
    private static Path compile(TruthCorpus corpus, Path src, String name, String... libs)
            throws IOException, InterruptedException {
        TestTools.require("gcc");
        Files.write(src.resolve(name + ".c"), TruthCorpus.resource(name + ".c"));
        Path top = corpus.work().resolve("layers").resolve("amd64-" + name);
        Path bin = Files.createDirectories(top.resolve("usr/local/bin"));
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", bin.resolve(name).toString(), name + ".c"));
        cmd.addAll(List.of(libs));
        TestTools.run(src, cmd.toArray(String[]::new));
        return top;
    }

    private static TruthImage with(TruthImage image, Path layer) {
        List<Path> layers = new ArrayList<>(image.layers());
        layers.add(layer);
        return new TruthImage(image.name(), image.arch(), layers, image.entrypoint(), image.what(), image.classes());
    }

    static List<TruthImage> build(TruthCorpus corpus) throws IOException, InterruptedException {
        List<TruthImage> out = new ArrayList<>();
        out.add(corpus.debian("amd64", "kvm-qemu", "Debian qemu-system-x86 started with -enable-kvm", QEMU,
                Set.of("kvm"), "/usr/bin/qemu-system-x86_64", "-enable-kvm", "-machine", "none", "-nodefaults",
                "-display", "none"));
        out.add(corpus.debian("amd64", "qemu-version", "the same QEMU (it loads libibverbs, librdmacm), -version", QEMU,
                Set.of(), "/usr/bin/qemu-system-x86_64", "-version"));
        out.add(corpus.debian("amd64", "rdma-devinfo", "rdma-core's ibv_devinfo", RDMA, Set.of("rdma"),
                "/usr/bin/ibv_devinfo"));
        out.add(corpus.debian("amd64", "tpm-getrandom", "tpm2-tools' tpm2_getrandom", TPM, Set.of("tpm"),
                "/usr/bin/tpm2_getrandom", "8"));
        out.add(corpus.debian("amd64", "tpm-pcrread-dev", "tpm2_pcrread -T device:/dev/tpmrm0", TPM, Set.of("tpm"),
                "/usr/bin/tpm2_pcrread", "-T", "device:/dev/tpmrm0", "sha256:0"));
        out.add(corpus.debian("amd64", "tpm-rc-decode", "tpm2-tools' tpm2_rc_decode: offline", TPM, Set.of(),
                "/usr/bin/tpm2_rc_decode", "0x9a2"));
        out.add(corpus.debian("amd64", "vaapi-drm", "libva-utils' vainfo on /dev/dri/renderD128", VAAPI,
                Set.of("gpu.dri"), "/usr/bin/vainfo", "--display", "drm", "--device", "/dev/dri/renderD128"));
        out.add(corpus.debian("amd64", "vaapi-help", "the same vainfo, --help", VAAPI, Set.of(), "/usr/bin/vainfo",
                "--help"));
        out.add(corpus.debian("amd64", "v4l2-device", "v4l-utils' v4l2-ctl -d /dev/video0", V4L, Set.of("video4linux"),
                "/usr/bin/v4l2-ctl", "--device", "/dev/video0", "--all"));
        out.add(corpus.debian("amd64", "v4l2-help", "the same v4l2-ctl, --help", V4L, Set.of(), "/usr/bin/v4l2-ctl",
                "--help"));
        out.addAll(programs(corpus));
        out.add(corpus.debian("arm64", "rdma-devinfo", "rdma-core's ibv_devinfo", RDMA, Set.of("rdma"),
                "/usr/bin/ibv_devinfo"));
        out.add(corpus.debian("arm64", "v4l2-device", "v4l-utils' v4l2-ctl -d /dev/video0", V4L, Set.of("video4linux"),
                "/usr/bin/v4l2-ctl", "--device", "/dev/video0", "--all"));
        return out;
    }
}
