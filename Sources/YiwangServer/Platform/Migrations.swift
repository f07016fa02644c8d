import Fluent
import Vapor

/// Every migration, in one global order, with its number. Migration N lives in its domain's
/// folder as `<Domain>/Migrations/NNNN_<Name>.swift` (0005 is Vapor's own sessions table); a
/// landed migration is frozen: it names tables and columns as strings and reads and writes rows of
/// its own shape, never through a live model, and `.ci/landed-migrations.sha256` fails CI when
/// its file changes. Change the schema with a new migration at the end.
enum AppMigrations {
    static var numbered: [(number: Int, migration: any Migration)] {
        [
            (1, CreateRegionsAndDepartments()),
            (2, CreateCatalog()),
            (3, AddCatalogIndexes()),
            (4, CreateStaffAccounts()),
            (5, SessionRecord.migration),  // sessions live in the database, so instances share them
            (6, CreateIdentity()),
            (7, CreateAuditTrail()),
            (8, CreateWorkingCalendar()),
            (9, CreateCases()),
            (10, CreateCaseMaterials()),
            (11, AddApplicantEmail()),
            (12, CreatePasswordResets()),
            (13, SealAuditHead()),
            (14, AtomicThrottles()),
            (15, CountCaseNumbers()),
            (16, IndexCatalogSearch()),
            (17, IndexPublishedItemsByName()),
            (18, CreateLicences()),
            (19, CreateDataSharing()),
            (20, CreateEvaluation()),
            (21, AddSummaryLevels()),
            (22, CreateBundles()),
            (23, CreateProjects()),
        ]
    }

    static var all: [any Migration] { numbered.map(\.migration) }
}
