package dev.gantry.scan.image;

import dev.gantry.scan.CpuFinding;
import dev.gantry.scan.DeviceEntry;
import dev.gantry.scan.FileFinding;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LoaderFinding;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The image's filesystem as far as the layer findings describe it: layers
 * applied in order, each first deleting what its whiteouts and opaque
 * directories hide in the layers below, then placing its own entries over
 * theirs — the OCI image spec's changeset semantics. Only paths that carry a
 * finding, a link, an executable, a device or loader facts (every ELF file,
 * script and loader configuration file) are known; a plain file that
 * replaces one of them without being recorded itself goes unnoticed (a
 * documented limit of keeping findings compact).
 */
public final class MergedFilesystem {
    /** What is known about one path, and from which layer. */
    public static final class Node {
        final int layer;
        final List<FileFinding> findings = new ArrayList<>(1);
        CpuFinding cpu;
        boolean executable;
        boolean elfProgram;
        String symlink;
        String hardlink;
        DeviceEntry device;
        LoaderFinding loader;

        Node(int layer) {
            this.layer = layer;
        }

        public int layer() {
            return layer;
        }

        public List<FileFinding> findings() {
            return findings;
        }

        public CpuFinding cpu() {
            return cpu;
        }

        public boolean executable() {
            return executable;
        }

        public boolean elfProgram() {
            return elfProgram;
        }

        public String symlink() {
            return symlink;
        }

        public String hardlink() {
            return hardlink;
        }

        public DeviceEntry device() {
            return device;
        }

        /** What loading this file involves (ELF, script, loader configuration), or null. */
        public LoaderFinding loader() {
            return loader;
        }
    }

    private final TreeMap<String, Node> nodes = new TreeMap<>();

    /** Applies the layers bottom to top. */
    public static MergedFilesystem of(List<LayerFindings> layers) {
        MergedFilesystem fs = new MergedFilesystem();
        for (int i = 0; i < layers.size(); i++) {
            fs.apply(i, layers.get(i));
        }
        return fs;
    }

    private void apply(int index, LayerFindings layer) {
        for (String dir : layer.opaqueDirs()) {
            removeUnder(dir);
        }
        for (String path : layer.whiteouts()) {
            nodes.remove(path);
            removeUnder(path);
        }
        TreeMap<String, Node> mine = new TreeMap<>();
        for (FileFinding f : layer.files()) {
            node(mine, f.path(), index).findings.add(f);
        }
        for (CpuFinding c : layer.cpu()) {
            node(mine, c.path(), index).cpu = c;
        }
        for (String p : layer.executables()) {
            node(mine, p, index).executable = true;
        }
        for (String p : layer.elfFiles()) {
            node(mine, p, index).elfProgram = true;
        }
        layer.symlinks().forEach((p, t) -> node(mine, p, index).symlink = t);
        layer.hardlinks().forEach((p, t) -> node(mine, p, index).hardlink = t);
        for (DeviceEntry d : layer.devices()) {
            node(mine, d.path(), index).device = d;
        }
        for (LoaderFinding l : layer.loader()) {
            node(mine, l.path(), index).loader = l;
        }
        for (String p : mine.keySet()) {
            // a non-directory entry replaces whatever the layers below had at
            // this path, including a directory and its contents
            nodes.remove(p);
            removeUnder(p);
        }
        nodes.putAll(mine);
    }

    private static Node node(TreeMap<String, Node> map, String path, int layer) {
        return map.computeIfAbsent(path, p -> new Node(layer));
    }

    private void removeUnder(String dir) {
        String prefix = dir.equals("/") ? "/" : dir + "/";
        NavigableMap<String, Node> under = nodes.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
        under.clear();
    }

    /** The node at an absolute path, or null when nothing is known there. */
    public Node get(String path) {
        return nodes.get(path);
    }

    /** Every known path with its node, in path order. */
    public NavigableMap<String, Node> nodes() {
        return Collections.unmodifiableNavigableMap(nodes);
    }

    /** The nodes themselves. */
    public Collection<Node> all() {
        return nodes.values();
    }
}
