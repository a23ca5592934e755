package dev.gantry.scan;

import dev.gantry.oci.Digest;
import dev.gantry.scan.kb.KnowledgeBase;
import java.io.ByteArrayInputStream;
import java.util.Set;
import java.util.TreeSet;

/** Shared scanner set-up for tests. */
final class Scans {
    static final KnowledgeBase KB = KnowledgeBase.embedded();
    static final LayerScanner SCANNER = new LayerScanner(KB, ScanLimits.defaults());

    private Scans() {
    }

    static LayerFindings scan(byte[] blob) {
        return SCANNER.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
    }

    static LayerFindings scan(LayerScanner scanner, byte[] blob) {
        return scanner.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
    }

    static Set<String> rules(LayerFindings f) {
        Set<String> out = new TreeSet<>();
        f.files().forEach(x -> out.add(x.rule()));
        return out;
    }

    static Set<String> hardware(LayerFindings f) {
        Set<String> out = new TreeSet<>();
        for (FileFinding x : f.files()) {
            KB.rules().stream().filter(r -> r.id().equals(x.rule())).findFirst()
                    .map(r -> r.implies().hardware()).ifPresent(out::add);
        }
        return out;
    }

    static Set<String> required(LayerFindings f) {
        Set<String> out = new TreeSet<>();
        f.cpu().forEach(c -> out.addAll(c.required()));
        return out;
    }

    static Set<String> supported(LayerFindings f) {
        Set<String> out = new TreeSet<>();
        f.cpu().forEach(c -> out.addAll(c.supported()));
        return out;
    }
}
