package dev.gantry.cli;

import dev.gantry.app.BuildInfo;
import picocli.CommandLine;

/** {@code gantry --version}: the version and the commit the jar was built from. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {BuildInfo.current().toString()};
    }
}
