package dev.gantry.scan;

import dev.gantry.oci.Digest;
import dev.gantry.scan.elf.ElfAnalyzer;
import dev.gantry.scan.elf.ElfFile;
import dev.gantry.scan.elf.ElfFormatException;
import dev.gantry.scan.elf.ElfLinks;
import dev.gantry.scan.elf.ElfReport;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.kb.Rule;
import dev.gantry.scan.tar.BoundedTarInputStream;
import dev.gantry.scan.tar.LayerStreams;
import dev.gantry.scan.tar.ScanAbort;
import dev.gantry.scan.tar.SourceIOException;
import dev.gantry.schema.ScanStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * One scan of one layer: walks the tar entries once, reading the bytes of
 * ELF files (through {@link ElfSpool}: a bounded buffer, or a mapping of a
 * spooled copy) and of the
 * small files content rules ask for, and skipping every other body without
 * copying it. What it records is charged to the scan's share of
 * {@link ScanMemory}; when that runs out, or the layer's time limit passes,
 * the walk stops there and the result is partial with the reason. Holds the
 * scan's state, so it is used once, by one thread.
 */
final class LayerWalk {
    private static final int HEADER = 64;

    private final KnowledgeBase kb;
    private final ScanLimits limits;
    private final ElfAnalyzer elf;
    private final byte[] buf = new byte[64 * 1024];
    private final ElfSpool spool;
    private final ScanMemory.Reservation memory;
    /** What the walk found, charged to {@link #memory}. */
    private final LayerRecord found;
    private final long deadline;
    /** The scan's share of {@link ScanMemory}, lent to the analysis of one ELF file at a time. */
    private final ElfAnalyzer.Budget budget;

    LayerWalk(KnowledgeBase kb, ScanLimits limits, ElfAnalyzer elf, ElfSpool spool, ScanMemory.Reservation memory) {
        this.kb = kb;
        this.limits = limits;
        this.elf = elf;
        this.spool = spool;
        this.memory = memory;
        this.found = new LayerRecord(memory);
        this.deadline = System.nanoTime() + limits.maxLayerTime().toNanos();
        this.budget = new ElfAnalyzer.Budget() {
            @Override
            public boolean charge(long bytes) {
                return memory.charge(bytes);
            }

            @Override
            public void release(long bytes) {
                memory.release(bytes);
            }
        };
    }

    LayerFindings run(Digest layer, InputStream blob) {
        LayerStreams streams = null;
        BoundedTarInputStream tar = null;
        FailureKind failure = null;
        String reason = null;
        try {
            streams = LayerStreams.open(blob, limits.maxExpandedBytes(), limits.maxRatio(), limits.ratioFloorBytes());
            tar = new BoundedTarInputStream(streams.tar(), limits.maxMetadataBytes(), limits.maxEntries());
            TarArchiveEntry entry;
            while ((entry = tar.next()) != null) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new ScanAbort("LIMIT", "the scan ran past the time limit of " + limits.maxLayerTime().toSeconds()
                            + " s per layer; entries after the first " + (tar.entries() - 1) + " not scanned");
                }
                visit(tar, entry);
            }
            if (streams.expandedBytes() % 512 != 0) {
                throw new IOException("truncated tar archive: it ends inside a 512-byte record");
            }
            drain(streams.tar());
        } catch (ScanAbort e) {
            failure = FailureKind.valueOf(e.kind());
            reason = e.getMessage();
        } catch (SourceIOException e) {
            failure = FailureKind.IO;
            reason = "reading the blob failed: " + e.getMessage();
        } catch (IOException | RuntimeException e) {
            // Decompressors and the tar reader signal corrupt input with any
            // IOException or RuntimeException; none may escape the scanner.
            failure = FailureKind.CORRUPT;
            reason = describe(e);
        } catch (StackOverflowError e) {
            // Input nested past what any parser here recurses through: a limit, like any other.
            failure = FailureKind.LIMIT;
            reason = "the layer nests structures too deeply to follow";
        }
        // A limit stops a sound layer early: what was found holds, the rest is unknown.
        ScanStatus status = failure == FailureKind.LIMIT ? ScanStatus.PARTIAL : failure != null ? ScanStatus.FAILED
                : found.notes.isEmpty() ? ScanStatus.COMPLETE : ScanStatus.PARTIAL;
        return found.findings(layer, kb, status, failure, reason, streams, tar);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        String what = e instanceof IOException ? "corrupt layer" : "corrupt layer (" + e.getClass().getSimpleName() + ")";
        return m == null || m.isBlank() ? what : what + ": " + m;
    }

    /** Reads what follows the tar end (padding, the gzip trailer) so checksums are verified and bytes counted. */
    private void drain(InputStream in) throws IOException {
        while (in.read(buf, 0, buf.length) >= 0) {
            // discard
        }
    }

    private void visit(BoundedTarInputStream tar, TarArchiveEntry entry) throws IOException {
        String path = LayerPaths.normalise(entry.getName());
        if (path.equals("/")) {
            return;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.startsWith(LayerPaths.WHITEOUT)) {
            String parent = LayerPaths.parent(path);
            if (name.equals(LayerPaths.OPAQUE)) {
                found.charge(parent);
                found.opaqueDirs.add(parent);
            } else {
                String deleted = LayerPaths.join(parent, name.substring(LayerPaths.WHITEOUT.length()));
                found.charge(deleted);
                found.whiteouts.add(deleted);
            }
            return;
        }
        boolean underDev = path.startsWith("/dev/");
        if (entry.isSymbolicLink()) {
            if (entry.getLinkName().length() > LayerPaths.MAX_PATH) {
                // No file system holds one (PATH_MAX); following it would split it into a component per byte pair.
                throw new ScanAbort("LIMIT", "symbolic link target longer than " + LayerPaths.MAX_PATH + " bytes: "
                        + LayerPaths.printable(path));
            }
            found.charge(path + entry.getLinkName());
            found.symlinks.put(path, entry.getLinkName());
            if (underDev) {
                found.charge(path);
                found.devices.add(new DeviceEntry(path, "symlink", -1, -1));
            }
            matchPath(path);
        } else if (entry.isLink()) {
            found.charge(path + entry.getLinkName());
            found.hardlinks.put(path, LayerPaths.normalise(entry.getLinkName()));
            matchPath(path);
        } else if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            found.charge(path);
            found.devices.add(new DeviceEntry(path, entry.isCharacterDevice() ? "char" : "block",
                    entry.getDevMajor(), entry.getDevMinor()));
        } else if (entry.isFIFO()) {
            if (underDev) {
                found.charge(path);
                found.devices.add(new DeviceEntry(path, "fifo", -1, -1));
            }
        } else if (entry.isFile()) {
            if (underDev) {
                found.charge(path);
                found.devices.add(new DeviceEntry(path, "file", -1, -1));
            }
            matchPath(path);
            boolean executable = (entry.getMode() & 0111) != 0;
            if (executable) {
                found.charge(path);
                found.executables.add(path);
            }
            regularFile(tar, path, entry.getSize(), executable);
        }
    }

    private void matchPath(String path) throws ScanAbort {
        for (Rule r : kb.matchPath(path)) {
            found.charge(path);
            found.files.add(new FileFinding(path, r.id(), null));
        }
    }

    private void regularFile(InputStream tar, String path, long size, boolean executable) throws IOException {
        if (size < 4) {
            return;
        }
        int head = tar.readNBytes(buf, 0, (int) Math.min(size, HEADER));
        if (ElfFile.isElf(buf, head)) {
            elfFile(tar, path, size, head, executable);
            return;
        }
        List<Rule> content = kb.matchContentPath(path);
        boolean wantContent = !content.isEmpty() && size <= limits.maxTextBytes();
        boolean script = LoaderFacts.isScript(buf, head) && (executable || path.endsWith(".sh"));
        boolean ldConfig = LoaderFacts.isLdConfig(path);
        if (!wantContent && !script && !ldConfig) {
            return;
        }
        // a script or loader configuration is read up to the buffer's size; what follows is not looked at
        int n = head + tar.readNBytes(buf, head, (int) Math.min(size, buf.length) - head);
        if (script || ldConfig) {
            found.loader(ldConfig ? LoaderFacts.ldConfig(path, buf, n) : LoaderFacts.script(path, buf, n, n >= size));
        }
        if (wantContent) {
            for (Rule r : content) {
                for (String literal : r.literals()) {
                    if (contains(buf, n, literal.getBytes(StandardCharsets.UTF_8))) {
                        found.charge(path);
                        found.files.add(new FileFinding(path, r.id(), literal));
                        break;
                    }
                }
            }
        }
    }

    private void elfFile(InputStream tar, String path, long size, int head, boolean executable) throws IOException {
        int want = (int) Math.min(size, limits.maxElfBytes());
        int n;
        ElfReport report;
        ElfLinks links;
        try (ElfSpool.View view = spool.read(tar, buf, head, want, buf)) {
            n = view.length();
            if (n < want) {
                throw new IOException("truncated tar archive: " + path + " ends after " + n + " of " + size + " bytes");
            }
            report = elf.analyze(view.bytes(), n, size, deadline, budget);
            links = ElfLinks.read(view.bytes(), n, size);
        } catch (ElfFormatException e) {
            found.notes.add("ELF " + path + " not analysed: " + e.getMessage());
            return;
        }
        if (executable && report.program()) {
            found.charge(path);
            found.elfFiles.add(path);
        }
        if (n < size) {
            found.notes.add("ELF " + path + ": only the first " + n + " of " + size + " bytes analysed (per-file limit)");
        }
        found.loader(LoaderFacts.elf(path, report.machineName(), links));
        for (String soname : report.needed()) {
            for (Rule r : kb.rules(Rule.Kind.NEEDED)) {
                if (r.matchesName(soname)) {
                    found.charge(path);
                    found.files.add(new FileFinding(path, r.id(), soname));
                }
            }
        }
        for (String section : report.sections()) {
            for (Rule r : kb.rules(Rule.Kind.SECTION)) {
                if (r.sections().contains(section)) {
                    found.charge(path);
                    found.files.add(new FileFinding(path, r.id(), section));
                }
            }
        }
        CpuFinding c = CpuFindings.of(path, report, kb.alwaysRequired());
        if (c != null) {
            found.charge(path);
            found.cpu.add(c);
        }
    }

    private static boolean contains(byte[] hay, int length, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
