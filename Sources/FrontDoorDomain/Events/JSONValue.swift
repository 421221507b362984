/// A parsed JSON value, kept exact enough to validate a contract: numbers keep their text,
/// so `7`, `7.0` and `7.5` can be told apart without a round trip through `Double`.
///
/// The parser is strict RFC 8259: UTF-8 only, no comments, no trailing commas, no
/// duplicate object keys (an event with two `upn` fields is ambiguous, so it is refused),
/// nesting at most ``JSONParser/maximumDepth`` deep.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, validated against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, as JSON Schema spells it (`integer` for an integral number).
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: integerValue != nil ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The value as an `Int` when it is a number with no fractional part (`7`, `7.0`, `7e0`),
    /// as JSON Schema's `integer` type defines it; nil otherwise or when out of range.
    var integerValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let i = Int(text) { return i }
        guard let d = Double(text), d.isFinite, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }
}

/// A JSON object's members in the order the text gives them.
///
/// Found by a linear search: an event's objects have at most about twenty members, where
/// comparing a few short strings costs less than hashing one, and parsing builds one array per
/// object instead of a dictionary. Names compare as Swift strings do (canonical equivalence),
/// as a dictionary's keys did, so what counts as a duplicate name is unchanged.
struct JSONObject: Sendable {
    struct Member: Sendable {
        var key: String
        var value: JSONValue
    }

    var members: [Member]

    init(members: [Member] = []) { self.members = members }

    var count: Int { members.count }

    subscript(key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    /// Removes and returns the member named `key`.
    mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = members.firstIndex(where: { $0.key == key }) else { return nil }
        return members.remove(at: i).value
    }
}

/// Why bytes are not JSON. Deliberately carries no part of the input.
struct JSONSyntaxError: Error, Hashable, Sendable {
    var reason: String
}

/// A small recursive-descent parser over UTF-8 bytes.
struct JSONParser {
    static let maximumDepth = 32
    /// Up to this many members an object's names are checked for a duplicate by a linear
    /// search; past it by a set, so a value of thousands of members stays linear in its size.
    static let linearSearchMembers = 16

    private let bytes: [UInt8]
    private var i = 0
    /// The members of the objects being parsed, innermost last: each object is copied out in
    /// one exactly sized array when it closes, instead of growing its own.
    private var stack: [JSONObject.Member] = []

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one JSON text (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        guard ByteText.isUTF8(bytes) else { throw JSONSyntaxError(reason: "not UTF-8") }
        var p = JSONParser(bytes)
        p.stack.reserveCapacity(16)
        if p.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }  // tolerate a byte-order mark
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == p.bytes.count else { throw JSONSyntaxError(reason: "text after the JSON value") }
        return v
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func expect(_ literal: StaticString) throws(JSONSyntaxError) {
        let matched = literal.withUTF8Buffer { u in
            for b in u {
                guard peek() == b else { return false }
                i += 1
            }
            return true
        }
        guard matched else { throw JSONSyntaxError(reason: "unexpected character") }
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw JSONSyntaxError(reason: "nested too deeply") }
        guard let c = peek() else { throw JSONSyntaxError(reason: "unexpected end") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw JSONSyntaxError(reason: "unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        i += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            i += 1
            return .object(JSONObject())
        }
        // This object's members are stack[base...]; a nested object's are above them only
        // while it is being parsed.
        let base = stack.count
        var names: Set<String> = []
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw JSONSyntaxError(reason: "expected a member name") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw JSONSyntaxError(reason: "unexpected character") }
            i += 1
            skipWhitespace()
            let v = try value(depth: depth + 1)
            // As a dictionary's updateValue did: the duplicate is found once its value is parsed.
            let count = stack.count - base
            if count < Self.linearSearchMembers {
                for k in base..<stack.count where stack[k].key == key {
                    throw JSONSyntaxError(reason: "duplicate member name")
                }
            } else {
                if count == Self.linearSearchMembers { names = Set(stack[base...].map(\.key)) }
                guard names.insert(key).inserted else { throw JSONSyntaxError(reason: "duplicate member name") }
            }
            stack.append(JSONObject.Member(key: key, value: v))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"):
                i += 1
                let members = Array(stack[base...])
                stack.removeLast(stack.count - base)
                return .object(JSONObject(members: members))
            default: throw JSONSyntaxError(reason: "expected , or }")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"):
                i += 1
                return .array(items)
            default: throw JSONSyntaxError(reason: "expected , or ]")
            }
        }
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while let c = p.peek(), c >= 0x30, c <= 0x39 { p.i += 1 }
            return p.i - s
        }
        if peek() == UInt8(ascii: "-") { i += 1 }
        if peek() == UInt8(ascii: "0") {
            i += 1
        } else if digits(&self) == 0 {
            throw JSONSyntaxError(reason: "malformed number")
        }
        if peek() == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw JSONSyntaxError(reason: "malformed number") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw JSONSyntaxError(reason: "malformed number") }
        }
        return .number(String(decoding: bytes[start..<i], as: UTF8.self))
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1  // opening quote
        // Most strings have no escape: they are the bytes up to the closing quote (UTF-8
        // already, as the whole text is), made into a string in one step.
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: bytes[start..<(i - 1)], as: UTF8.self)
            }
            guard c != UInt8(ascii: "\\"), c >= 0x20 else { break }
            i += 1
        }
        var out = Array(bytes[start..<i])
        while true {
            guard let c = peek() else { throw JSONSyntaxError(reason: "unterminated string") }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw JSONSyntaxError(reason: "unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard peek() == UInt8(ascii: "\\") else { throw JSONSyntaxError(reason: "lone surrogate") }
                        i += 1
                        guard peek() == UInt8(ascii: "u") else { throw JSONSyntaxError(reason: "lone surrogate") }
                        i += 1
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw JSONSyntaxError(reason: "lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw JSONSyntaxError(reason: "lone surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw JSONSyntaxError(reason: "bad escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw JSONSyntaxError(reason: "bad escape")
                }
            case 0x00..<0x20:
                throw JSONSyntaxError(reason: "control character in string")
            default:
                out.append(c)
            }
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw JSONSyntaxError(reason: "bad escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONSyntaxError(reason: "bad escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
