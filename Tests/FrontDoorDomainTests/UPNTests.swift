import Testing

@testable import FrontDoorDomain

/// events.md "Identifiers"; DfE UPN guidance and school census validations 1500–1540.
@Suite("UPN, LAESTAB and SchoolPhase (events.md Identifiers)")
struct UPNTests {
    @Test("DfE example H801200001001 is a valid permanent UPN")
    func dfeValidExample() throws {
        let upn = try UPN(validating: "H801200001001")
        #expect(upn.value == "H801200001001")
        #expect(!upn.isTemporary)
        #expect(upn.laCode == "801")
    }

    @Test("DfE example G80120000101A is a valid temporary UPN (letter at position 13 counts as its alphabet index)")
    func dfeTemporaryExample() throws {
        let upn = try UPN(validating: "G80120000101A")
        #expect(upn.isTemporary)
    }

    @Test("DfE example Z801200001001 fails census rule 1500: wrong check letter")
    func dfeWrongCheckLetter() {
        #expect(throws: UPN.Invalid.wrongCheckLetter) { try UPN(validating: "Z801200001001") }
        #expect(UPN.Invalid.wrongCheckLetter.censusRule == 1500)
        #expect(UPN.Invalid.wrongCheckLetter.description == "UPN invalid (wrong check letter at character 1)")
    }

    @Test(
        "Each other way a UPN is wrong maps to its census rule",
        arguments: [
            ("H80120000100", UPN.Invalid.wrongLength),  // 12 characters
            ("H8012000010011", .wrongLength),  // 14 characters
            ("", .wrongLength),
            ("H8A1200001001", .laCodeNotRecognised),  // LA code not numeric
            ("H001200001001", .laCodeNotRecognised),  // LA codes start at 201
            ("H200200001001", .laCodeNotRecognised),
            ("H8012000X1001", .notNumeric),  // characters 5-12 must be digits
            ("H80120000100-", .character13NotRecognised),
            ("H80120000100I", .character13NotRecognised),  // I, O and S are not in the check alphabet
            ("H80120000100O", .character13NotRecognised),
            ("H80120000100S", .character13NotRecognised),
            ("I801200001001", .wrongCheckLetter),  // I is never a check letter
            ("1801200001001", .wrongCheckLetter),
            ("G80120000101B", .wrongCheckLetter),  // temporary, wrong letter
        ]
    )
    func invalidUPNs(raw: String, expected: UPN.Invalid) {
        #expect(throws: expected) { try UPN(validating: raw) }
    }

    @Test("Census rule numbers and DfE sentences for 1510-1540")
    func censusRules() {
        #expect(UPN.Invalid.laCodeNotRecognised.censusRule == 1510)
        #expect(UPN.Invalid.notNumeric.censusRule == 1520)
        #expect(UPN.Invalid.character13NotRecognised.censusRule == 1530)
        #expect(UPN.Invalid.wrongLength.censusRule == 1540)
        #expect(UPN.Invalid.wrongLength.description == "UPN invalid (wrong length)")
        #expect(UPN.Invalid.notNumeric.description == "UPN invalid (characters 5-12 not all numeric)")
    }

    @Test("Lower case is accepted and stored upper case; comparison is case-insensitive")
    func lowerCaseNormalised() throws {
        let lower = try UPN(validating: "h801200001001")
        #expect(lower.value == "H801200001001")
        #expect(lower == (try UPN(validating: "H801200001001")))
        #expect(try UPN(validating: "g80120000101a").value == "G80120000101A")
    }

    @Test("checkLetter(forBody:) gives the letter validation expects, for any body")
    func checkLetterRoundTrip() throws {
        var rng = SplitMix(seed: 42)
        let alphabet = UPN.checkAlphabet
        for _ in 0..<500 {
            let la = 201 + Int(rng.next() % 799)
            var body = String(la)
            for _ in 0..<8 { body += String(rng.next() % 10) }
            body += rng.next() % 4 == 0 ? String(alphabet[Int(rng.next() % 23)]) : String(rng.next() % 10)
            let letter = try #require(UPN.checkLetter(forBody: body))
            #expect((try? UPN(validating: "\(letter)\(body)")) != nil)
            let other = alphabet[(alphabet.firstIndex(of: letter)! + 1 + Int(rng.next() % 22)) % 23]
            #expect(throws: UPN.Invalid.wrongCheckLetter) { try UPN(validating: "\(other)\(body)") }
        }
        #expect(UPN.checkLetter(forBody: "801200001001") == "H")
        #expect(UPN.checkLetter(forBody: "80120000101A") == "G")
        #expect(UPN.checkLetter(forBody: "8012000010") == nil)
    }

    @Test("UPN decodes from JSON and rejects a wrong check letter there too")
    func upnCodable() throws {
        #expect((try? decodeJSON(UPN.self, "\"H801200001001\"")) != nil)
        #expect((try? decodeJSON(UPN.self, "\"Z801200001001\"")) == nil)
    }

    @Test("LAESTAB is 7 digits: LA code (Kent 886) then establishment number")
    func laestab() throws {
        let l = try LAESTAB(validating: "8862001")
        #expect(l.laCode == "886")
        #expect(l.establishmentNumber == "2001")
        for bad in ["886200", "88620011", "886A001", "", "886-001"] {
            #expect(throws: LAESTAB.Invalid.self) { try LAESTAB(validating: bad) }
        }
        #expect(!LAESTAB.Invalid().description.contains("886"))
    }

    @Test("SchoolPhase raw values are schools.csv's: primary, secondary, all-through, special, pru")
    func schoolPhase() {
        #expect(SchoolPhase.allCases.map(\.rawValue) == ["primary", "secondary", "all-through", "special", "pru"])
        #expect(SchoolPhase(rawValue: "all-through") == .allThrough)
        #expect(SchoolPhase(rawValue: "Primary") == nil)
    }
}
