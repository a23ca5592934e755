package dev.gantry.cli;

/**
 * A reference as people type it: {@code [registry/]repository[:tag|@digest]}.
 * As Docker reads it: a first component with a dot, a colon or
 * {@code localhost} is a registry; otherwise Docker Hub, where single names
 * are official images ({@code alpine} → {@code library/alpine}).
 */
record ImageReference(String registry, String repository, String reference) {

    static ImageReference parse(String text) {
        String rest = text;
        String registry = "docker.io";
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        String reference = "latest";
        int at = rest.indexOf('@');
        if (at >= 0) {
            reference = rest.substring(at + 1);
            rest = rest.substring(0, at);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon > rest.lastIndexOf('/')) {
                reference = rest.substring(colon + 1);
                rest = rest.substring(0, colon);
            }
        }
        if (registry.equals("docker.io") && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("no repository in '" + text + "'");
        }
        return new ImageReference(registry, rest, reference);
    }

    /** Where the registry's API is: Docker Hub's real host, plain HTTP for loopback registries. */
    String url(boolean plainHttp) {
        if (registry.equals("docker.io")) {
            return "https://registry-1.docker.io";
        }
        boolean loopback = registry.startsWith("localhost") || registry.startsWith("127.");
        return (plainHttp || loopback ? "http://" : "https://") + registry;
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (reference.contains(":") ? "@" : ":") + reference;
    }
}
