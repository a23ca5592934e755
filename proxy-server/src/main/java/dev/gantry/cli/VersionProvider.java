package dev.gantry.cli;

import picocli.CommandLine;

/** The version from the jar manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"gantry " + (v == null ? "dev" : v)};
    }
}
