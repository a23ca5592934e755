package dev.gantry.app;

/**
 * Gantry cannot start for a reason outside its configuration's syntax: the
 * address is taken, the data directory is in use. The message is one line
 * naming the key and the value; the hint says what to do.
 */
public final class StartupException extends RuntimeException {

    private final String hint;

    public StartupException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** What the operator can do about it, one line. */
    public String hint() {
        return hint;
    }
}
