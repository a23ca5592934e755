package dev.gantry.upstream;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} header: scheme plus parameters, e.g.
 * {@code Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"}.
 */
record Challenge(String scheme, Map<String, String> params) {

    static Challenge parse(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim();
        int space = h.indexOf(' ');
        String scheme = (space < 0 ? h : h.substring(0, space)).toLowerCase(Locale.ROOT);
        Map<String, String> params = new LinkedHashMap<>();
        int i = space < 0 ? h.length() : space + 1;
        while (i < h.length()) {
            while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
                i++;
            }
            int eq = h.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = h.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            String value;
            if (i < h.length() && h.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < h.length() && h.charAt(i) != '"') {
                    if (h.charAt(i) == '\\' && i + 1 < h.length()) {
                        i++;
                    }
                    sb.append(h.charAt(i++));
                }
                i++;
                value = sb.toString();
            } else {
                int end = h.indexOf(',', i);
                end = end < 0 ? h.length() : end;
                value = h.substring(i, end).trim();
                i = end;
            }
            params.put(key, value);
        }
        return new Challenge(scheme, Map.copyOf(params));
    }

    boolean isBearer() {
        return "bearer".equals(scheme);
    }

    boolean isBasic() {
        return "basic".equals(scheme);
    }

    String realm() {
        return params.get("realm");
    }

    String service() {
        return params.get("service");
    }

    String scope() {
        return params.get("scope");
    }
}
