package dev.gantry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;

/**
 * Issues and verifies the short-lived bearer tokens of Docker's token
 * protocol: ES256 JWTs whose {@code access} claim lists what the holder may
 * do. Every token names its signing key in the {@code kid} header; see
 * {@link TokenKeys} for where keys come from and how several verify.
 *
 * <p>Written by hand rather than with a JWT library: a JWT here is three
 * base64url parts and one ECDSA signature, and every claim is checked below.
 */
public final class TokenIssuer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final String ISSUER = "gantry";
    /** An ES256 signature (r and s, 32 bytes each) in unpadded base64url. */
    private static final int SIGNATURE_CHARS = 86;

    /** A verified token: who holds it and what it grants. {@code subject} is empty for anonymous tokens. */
    public record Verified(String subject, List<Access> access) {
    }

    /** A token whose signature and claims checked out: what it grants and when it is valid (epoch seconds). */
    private record Signed(Verified verified, long exp, long nbf) {
    }

    /**
     * The longest token issued or accepted: the server reads at most 16 KiB of request headers, so
     * a longer token could never come back, and 4 KiB are left for the request's other headers.
     */
    public static final int MAX_TOKEN_CHARS = 12 * 1024;

    /** A token would grant so much that it would be longer than {@link #MAX_TOKEN_CHARS}. */
    public static final class TooLong extends IllegalArgumentException {
        TooLong(int chars, int grants) {
            super("a token granting these " + grants + " scopes would be " + chars + " characters, more than the "
                    + MAX_TOKEN_CHARS + " a request can send back; ask for fewer repositories at once");
        }
    }

    /**
     * Characters of the tokens checked so far, at most this many (about 4,000 tokens of a few
     * scopes): weighed by length, since a token of many scopes may be up to {@link #MAX_TOKEN_CHARS}
     * and anyone may ask for tokens. A token's string is its identity: its bytes are what was signed.
     */
    static final long CHECKED_CHARS = 4L << 20;

    private final TokenKeys keys;
    private final String service;
    private final Duration ttl;
    private final Clock clock;
    private final Cache<String, Signed> checked;
    private final LongAdder signatureChecks = new LongAdder();

    /** Signs with the first of {@code keys} and verifies with any of them, picked by the token's {@code kid}. */
    public TokenIssuer(TokenKeys keys, String service, Duration ttl, Clock clock) {
        this.keys = keys;
        this.service = service;
        this.ttl = ttl;
        this.clock = clock;
        // Kept no longer than a token lives (and a minute): an entry past its exp is refused anyway.
        this.checked = Caffeine.newBuilder().maximumWeight(CHECKED_CHARS)
                .weigher((String token, Signed s) -> token.length()).expireAfterWrite(ttl.plusMinutes(1)).build();
    }

    /** Signs and verifies with the key at {@code keyFile}, generating and saving one on first start. */
    public static TokenIssuer open(Path keyFile, String service, Duration ttl, Clock clock) throws IOException {
        return new TokenIssuer(TokenKeys.generatedAt(keyFile), service, ttl, clock);
    }

    public String service() {
        return service;
    }

    public Duration ttl() {
        return ttl;
    }

    /** The clock tokens are stamped and checked by (the token response's {@code issued_at} reads it too). */
    public Clock clock() {
        return clock;
    }

    /**
     * A signed token for {@code subject} (empty: anonymous) granting {@code access}.
     *
     * @throws TooLong when it would be longer than {@link #MAX_TOKEN_CHARS}: a token no request could carry
     */
    public String issue(String subject, List<Access> access) {
        Instant now = clock.instant();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", "JWT");
        header.put("kid", keys.signingKid());
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", service);
        claims.put("iat", now.getEpochSecond());
        claims.put("nbf", now.getEpochSecond() - 5);
        claims.put("exp", now.plus(ttl).getEpochSecond());
        claims.put("jti", UUID.randomUUID().toString());
        List<Map<String, Object>> grants = new ArrayList<>();
        for (Access a : access) {
            grants.add(Map.of("type", a.type(), "name", a.name(), "actions", a.actions().stream().sorted().toList()));
        }
        claims.put("access", grants);
        try {
            String signingInput = B64.encodeToString(JSON.writeValueAsBytes(header)) + "." + B64.encodeToString(JSON.writeValueAsBytes(claims));
            int chars = signingInput.length() + 1 + SIGNATURE_CHARS;
            if (chars > MAX_TOKEN_CHARS) {
                throw new TooLong(chars, grants.size());
            }
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(keys.signing().getPrivate());
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64.encodeToString(derToJose(s.sign()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    /**
     * Checks a token: signature with the key its {@code kid} names, issuer, audience, not expired,
     * not used before it is valid. Empty when any check fails. The signature and the claims are
     * checked once per token string (an ECDSA P-256 verify costs the JDK about a millisecond, and a
     * client sends the same token with every request of a pull); the times are checked on every call.
     */
    public Optional<Verified> verify(String token) {
        if (token.length() > MAX_TOKEN_CHARS) {
            return Optional.empty();
        }
        Signed signed = checked.getIfPresent(token);
        if (signed == null) {
            signed = check(token);
            if (signed == null) {
                return Optional.empty();
            }
            checked.put(token, signed);
        }
        long now = clock.instant().getEpochSecond();
        if (signed.exp() <= now || signed.nbf() > now + 60) {
            return Optional.empty();
        }
        return Optional.of(signed.verified());
    }

    /** Signature, algorithm, key, issuer and audience of {@code token}, and its claims; null when any is wrong. */
    private Signed check(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonNode header = JSON.readTree(B64D.decode(parts[0]));
            if (!"ES256".equals(header.path("alg").asText())) {
                return null;
            }
            // The kid picks the key; a token naming no configured key is refused, never tried against each.
            Optional<PublicKey> key = keys.verifying(header.path("kid").asText(""));
            if (key.isEmpty()) {
                return null;
            }
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key.get());
            s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            byte[] sig = B64D.decode(parts[2]);
            if (sig.length != 64 || !s.verify(joseToDer(sig))) {
                return null;
            }
            signatureChecks.increment();
            JsonNode claims = JSON.readTree(B64D.decode(parts[1]));
            if (!ISSUER.equals(claims.path("iss").asText()) || !service.equals(claims.path("aud").asText())) {
                return null;
            }
            List<Access> access = new ArrayList<>();
            for (JsonNode a : claims.path("access")) {
                List<String> actions = new ArrayList<>();
                a.path("actions").forEach(x -> actions.add(x.asText()));
                access.add(new Access(a.path("type").asText(), a.path("name").asText(), Set.copyOf(actions)));
            }
            return new Signed(new Verified(claims.path("sub").asText(""), List.copyOf(access)),
                    claims.path("exp").asLong(0), claims.path("nbf").asLong(Long.MAX_VALUE));
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Characters of the tokens kept as checked, once pending evictions ran (for tests: the bound holds). */
    long checkedChars() {
        checked.cleanUp();
        return checked.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    /** How many signatures this issuer checked and found good (for tests: a token is checked once). */
    long signatureChecks() {
        return signatureChecks.sum();
    }

    /** JOSE wants R||S (32 bytes each); the JDK speaks DER. */
    static byte[] derToJose(byte[] der) throws IOException {
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        byte[] out = new byte[64];
        copyUnsigned(ASN1Integer.getInstance(seq.getObjectAt(0)).getValue().toByteArray(), out, 0);
        copyUnsigned(ASN1Integer.getInstance(seq.getObjectAt(1)).getValue().toByteArray(), out, 32);
        return out;
    }

    static byte[] joseToDer(byte[] jose) throws IOException {
        var r = new BigInteger(1, Arrays.copyOfRange(jose, 0, 32));
        var s = new BigInteger(1, Arrays.copyOfRange(jose, 32, 64));
        return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
    }

    private static void copyUnsigned(byte[] value, byte[] out, int offset) {
        int start = value.length > 32 ? value.length - 32 : 0;
        int length = value.length - start;
        System.arraycopy(value, start, out, offset + 32 - length, length);
    }
}
