/*
 * Example.java: libcustodia from Java through the Foreign Function & Memory API
 * (java.lang.foreign, final since JDK 22). No JNI, no generated bindings: each C function is
 * looked up by name and described by its signature.
 *
 * It creates a ledger, registers the ministry (which here also keeps the depot), a depot and a
 * lot of 48000 rounds, verifies the ledger and prints the depot's balance.
 *
 * Run (JDK 22 or later; scripts/test-c.sh does this):
 *   java --enable-native-access=ALL-UNNAMED -Dcustodia.lib=target/debug/libcustodia.so \
 *        examples/java/Example.java
 *
 * Mapping of C types: custodia_result is uint32_t (JAVA_INT), size_t is JAVA_LONG on 64-bit
 * platforms, every pointer (handles, char *, out-parameters) is ADDRESS.
 */
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

public class Example {
    static final Linker LINKER = Linker.nativeLinker();
    static SymbolLookup lib;

    static MethodHandle fn(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException("no symbol " + name)),
                descriptor);
    }

    /** A failed call: its result code (docs/ERRORS.md) and message. */
    static final class CustodiaException extends RuntimeException {
        final int code;

        CustodiaException(int code, String message) {
            super(message + " [" + code + "]");
            this.code = code;
        }
    }

    static MethodHandle errorMessage, errorFree, stringFree;

    /** A C string owned by the library, read as UTF-8. */
    static String cString(MemorySegment p) {
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Throws for a result code other than OK, taking the message from *error_out and freeing it. */
    static void check(int rc, MemorySegment errorOut) throws Throwable {
        if (rc == 0) return;
        MemorySegment err = errorOut.get(ADDRESS, 0);
        String message = err.equals(MemorySegment.NULL) ? "" : cString((MemorySegment) errorMessage.invokeExact(err));
        errorFree.invokeExact(err);
        throw new CustodiaException(rc, message);
    }

    /** Takes a string handed out through a char ** out-parameter, and frees it. */
    static String take(MemorySegment out) throws Throwable {
        MemorySegment p = out.get(ADDRESS, 0);
        String s = cString(p);
        stringFree.invokeExact(p);
        return s;
    }

    public static void main(String[] args) throws Throwable {
        String libPath = System.getProperty("custodia.lib", "target/debug/libcustodia.so");
        Path ledgerPath = Path.of("java-example.ledger");
        Files.deleteIfExists(ledgerPath);

        try (Arena arena = Arena.ofConfined()) {
            lib = SymbolLookup.libraryLookup(Path.of(libPath), arena);
            MethodHandle version = fn("custodia_version", FunctionDescriptor.of(ADDRESS));
            MethodHandle keyGenerate = fn("custodia_key_generate", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            MethodHandle keyPublic = fn("custodia_key_public_key", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
            MethodHandle keyFree = fn("custodia_key_free", FunctionDescriptor.ofVoid(ADDRESS));
            MethodHandle ledgerCreate = fn("custodia_ledger_create",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            MethodHandle ledgerFree = fn("custodia_ledger_free", FunctionDescriptor.ofVoid(ADDRESS));
            MethodHandle sign = fn("custodia_ledger_sign_json_lines",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
            MethodHandle append = fn("custodia_ledger_append_json_lines",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
            MethodHandle verify = fn("custodia_ledger_verify", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
            MethodHandle reportOk = fn("custodia_verify_report_ok", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
            MethodHandle reportEvents = fn("custodia_verify_report_events", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            MethodHandle reportFree = fn("custodia_verify_report_free", FunctionDescriptor.ofVoid(ADDRESS));
            MethodHandle balances = fn("custodia_ledger_balances",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            errorMessage = fn("custodia_error_message", FunctionDescriptor.of(ADDRESS, ADDRESS));
            errorFree = fn("custodia_error_free", FunctionDescriptor.ofVoid(ADDRESS));
            stringFree = fn("custodia_string_free", FunctionDescriptor.ofVoid(ADDRESS));

            System.out.println("libcustodia " + cString((MemorySegment) version.invokeExact()));
            MemorySegment errorOut = arena.allocate(ADDRESS);
            MemorySegment out = arena.allocate(ADDRESS);

            // Keys: the log key (signs tree heads) and the ministry's own key.
            check((int) keyGenerate.invokeExact(out, errorOut), errorOut);
            MemorySegment logKey = out.get(ADDRESS, 0);
            check((int) keyGenerate.invokeExact(out, errorOut), errorOut);
            MemorySegment adminKey = out.get(ADDRESS, 0);
            check((int) keyPublic.invokeExact(adminKey, out, errorOut), errorOut);
            String adminPublic = take(out);

            // The ledger.
            check((int) ledgerCreate.invokeExact(arena.allocateFrom(ledgerPath.toString()), logKey,
                    arena.allocateFrom("mindef.example/custodia/java"), out, errorOut), errorOut);
            MemorySegment ledger = out.get(ADDRESS, 0);

            // Events as JSON lines, signed by the ministry, appended as one batch.
            String events = String.join("\n",
                    "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T08:00:00Z\",\"actor\":\"agency:mod\","
                            + "\"subject\":{\"id\":\"agency:mod\",\"kind\":\"agency\",\"name\":\"Ministry of Defence\","
                            + "\"roles\":[\"admin\",\"custodian\"],\"keys\":[\"" + adminPublic + "\"]}}",
                    "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
                            + "\"site\":{\"id\":\"depot:central\",\"name\":\"Central Depot\",\"kind\":\"depot\"}}",
                    "{\"kind\":\"register_lot\",\"at\":\"2026-01-10T11:00:00Z\",\"actor\":\"agency:mod\","
                            + "\"site\":\"depot:central\",\"custodian\":\"agency:mod\",\"origin\":{\"kind\":\"stock_on_hand\"},"
                            + "\"lot\":{\"id\":\"lot:A-77\",\"nomenclature\":\"cartridge 5.56 ball\",\"lot_number\":\"A-77\","
                            + "\"unit\":\"round\",\"quantity\":48000,\"neq_grams_per_unit\":2}}") + "\n";
            byte[] unsigned = events.getBytes(StandardCharsets.UTF_8);
            MemorySegment keys = arena.allocate(ADDRESS);
            keys.set(ADDRESS, 0, adminKey);
            check((int) sign.invokeExact(ledger, arena.allocateFrom(ValueLayout.JAVA_BYTE, unsigned),
                    (long) unsigned.length, keys, 1L, out, errorOut), errorOut);
            byte[] signed = take(out).getBytes(StandardCharsets.UTF_8);
            check((int) append.invokeExact(ledger, arena.allocateFrom(ValueLayout.JAVA_BYTE, signed),
                    (long) signed.length, MemorySegment.NULL, errorOut), errorOut);

            // An altered batch is refused with its code, and changes nothing.
            byte[] altered = new String(signed, StandardCharsets.UTF_8).replace("48000", "48001")
                    .getBytes(StandardCharsets.UTF_8);
            try {
                check((int) append.invokeExact(ledger, arena.allocateFrom(ValueLayout.JAVA_BYTE, altered),
                        (long) altered.length, MemorySegment.NULL, errorOut), errorOut);
                throw new AssertionError("an altered event was appended");
            } catch (CustodiaException e) {
                System.out.println("altered batch refused: " + e.code);
                if (e.code / 1000 != 1 && e.code / 1000 != 2) throw new AssertionError("unexpected code " + e.code);
            }

            // Verify, and print the balance.
            check((int) verify.invokeExact(ledger, out, errorOut), errorOut);
            MemorySegment report = out.get(ADDRESS, 0);
            boolean ok = (boolean) reportOk.invokeExact(report);
            long verified = (long) reportEvents.invokeExact(report);
            reportFree.invokeExact(report);
            System.out.println("verified: " + (ok ? "ok" : "FAILED") + ", " + verified + " events");
            check((int) balances.invokeExact(ledger, arena.allocateFrom("depot:central"), MemorySegment.NULL, out,
                    errorOut), errorOut);
            String balance = take(out);
            System.out.println("balances at depot:central: " + balance);

            ledgerFree.invokeExact(ledger);
            keyFree.invokeExact(logKey);
            keyFree.invokeExact(adminKey);
            if (!ok || verified != 3 || !balance.contains("\"units\":48000")) {
                System.err.println("unexpected result");
                System.exit(1);
            }
        }
    }
}
