// steadyproxy::AtomicFile and writeAtomically(): the target is replaced whole or not at all,
// the temporary never outlives the object, and failures name the path and the owner.
#include <steadyproxy/sdk/AtomicFile.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;

namespace {

std::string readText(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

} // namespace

class AtomicFileTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AtomicFileTest);
    CPPUNIT_TEST(testWriteAtomicallyCreatesDirectoryAndFile);
    CPPUNIT_TEST(testTargetUntouchedUntilCommit);
    CPPUNIT_TEST(testUncommittedTemporaryIsRemoved);
    CPPUNIT_TEST(testCommitBeforeWriteThrows);
    CPPUNIT_TEST(testFailureNamesOwnerAndPath);
    CPPUNIT_TEST(testFileHolds);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _dir = Poco::TemporaryFile::tempName() + "/nested"; }
    void tearDown() override
    {
        Poco::File root(Poco::Path(_dir).parent());
        if (root.exists()) root.remove(true);
    }

    void testWriteAtomicallyCreatesDirectoryAndFile()
    {
        writeAtomically(_dir, "a.yml", "one\n", "test.owner");
        CPPUNIT_ASSERT_EQUAL(std::string("one\n"), readText(_dir + "/a.yml"));
        writeAtomically(_dir, "a.yml", "two\n", "test.owner");
        CPPUNIT_ASSERT_EQUAL(std::string("two\n"), readText(_dir + "/a.yml"));
        CPPUNIT_ASSERT(!Poco::File(_dir + "/.a.yml.tmp").exists());
    }

    void testTargetUntouchedUntilCommit()
    {
        writeAtomically(_dir, "a.cfg", "old", "test.owner");
        AtomicFile file(_dir, "a.cfg", "test.owner");
        CPPUNIT_ASSERT_EQUAL(_dir + "/a.cfg", file.targetPath());
        CPPUNIT_ASSERT_EQUAL(_dir + "/.a.cfg.tmp", file.temporaryPath());
        file.write("new");
        CPPUNIT_ASSERT_EQUAL(std::string("old"), readText(file.targetPath()));
        CPPUNIT_ASSERT_EQUAL(std::string("new"), readText(file.temporaryPath()));
        file.commit();
        CPPUNIT_ASSERT_EQUAL(std::string("new"), readText(file.targetPath()));
        CPPUNIT_ASSERT(!Poco::File(file.temporaryPath()).exists());
    }

    void testUncommittedTemporaryIsRemoved()
    {
        writeAtomically(_dir, "a.cfg", "old", "test.owner");
        {
            AtomicFile file(_dir, "a.cfg", "test.owner");
            file.write("rejected");
        }
        CPPUNIT_ASSERT(!Poco::File(_dir + "/.a.cfg.tmp").exists());
        CPPUNIT_ASSERT_EQUAL(std::string("old"), readText(_dir + "/a.cfg"));
    }

    void testCommitBeforeWriteThrows()
    {
        AtomicFile file(_dir, "a.cfg", "test.owner");
        CPPUNIT_ASSERT_THROW(file.commit(), Error);
    }

    void testFailureNamesOwnerAndPath()
    {
        Poco::File(_dir + "/.a.cfg.tmp").createDirectories(); // the temporary name is taken
        try
        {
            writeAtomically(_dir, "a.cfg", "x", "test.owner");
            CPPUNIT_FAIL("no exception");
        }
        catch (const Error& e)
        {
            const std::string what = e.what();
            CPPUNIT_ASSERT_MESSAGE(what, what.rfind("test.owner: cannot ", 0) == 0);
            CPPUNIT_ASSERT_MESSAGE(what, what.find(_dir + "/.a.cfg.tmp") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("Is a directory") != std::string::npos);
        }
        CPPUNIT_ASSERT(!Poco::File(_dir + "/a.cfg").exists());
    }

    void testFileHolds()
    {
        CPPUNIT_ASSERT(!fileHolds(_dir + "/a.cfg", "")); // missing
        writeAtomically(_dir, "a.cfg", "x", "test.owner");
        CPPUNIT_ASSERT(fileHolds(_dir + "/a.cfg", "x"));
        CPPUNIT_ASSERT(!fileHolds(_dir + "/a.cfg", "y"));
    }

private:
    std::string _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AtomicFileTest);
