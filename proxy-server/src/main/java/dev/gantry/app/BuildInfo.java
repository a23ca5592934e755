package dev.gantry.app;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.jar.Manifest;

/**
 * What was built: the version and the commit, from the jar's manifest
 * ({@code Implementation-Version}, {@code Gantry-Commit}, written by the
 * build). Outside a jar (an IDE, the unit tests) both read "dev"/"unknown".
 *
 * @param version the project version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param commit  the abbreviated commit id, or {@code unknown}
 */
public record BuildInfo(String version, String commit) {

    private static final BuildInfo CURRENT = read();

    /** This build's. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** {@code gantry 0.1.0-SNAPSHOT (commit 1ab7384524ff)}. */
    @Override
    public String toString() {
        return "gantry " + version + " (commit " + commit + ")";
    }

    private static BuildInfo read() {
        String version = BuildInfo.class.getPackage().getImplementationVersion();
        String commit = null;
        URL manifest = manifestOfThisJar();
        if (manifest != null) {
            try (InputStream in = manifest.openStream()) {
                commit = new Manifest(in).getMainAttributes().getValue("Gantry-Commit");
            } catch (IOException e) {
                commit = null;
            }
        }
        // Built outside a git checkout, Maven leaves the property's expression unexpanded.
        if (commit == null || commit.isBlank() || commit.startsWith("${")) {
            commit = "unknown";
        }
        return new BuildInfo(version == null ? "dev" : version, commit);
    }

    private static URL manifestOfThisJar() {
        URL self = BuildInfo.class.getResource(BuildInfo.class.getSimpleName() + ".class");
        if (self == null || !"jar".equals(self.getProtocol())) {
            return null;
        }
        String s = self.toString();
        try {
            return new URL(s.substring(0, s.indexOf("!/") + 2) + "META-INF/MANIFEST.MF");
        } catch (java.net.MalformedURLException e) {
            return null;
        }
    }
}
