// steadyproxy::readList(): a StringList option written as a YAML list or as one
// comma-separated string.
#include <steadyproxy/sdk/ConfigList.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace steadyproxy;

class ConfigListTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConfigListTest);
    CPPUNIT_TEST(testItems);
    CPPUNIT_TEST(testCommaSeparated);
    CPPUNIT_TEST(testMissing);
    CPPUNIT_TEST_SUITE_END();

    using List = std::vector<std::string>;

public:
    void testItems()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
        c->setString("errors.no_lease[0]", " a ");
        c->setString("errors.no_lease[1]", "b,c");
        c->setString("errors.no_lease[3]", "after a gap: not read");
        CPPUNIT_ASSERT(readList(*c, "errors.no_lease") == (List{"a", "b,c"}));
    }

    void testCommaSeparated()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
        c->setString("regions", " vn , ,us,");
        CPPUNIT_ASSERT(readList(*c, "regions") == (List{"vn", "us"}));
    }

    void testMissing()
    {
        Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
        CPPUNIT_ASSERT(readList(*c, "regions").empty());
        c->setString("regions", "");
        CPPUNIT_ASSERT(readList(*c, "regions").empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigListTest);
