// Boost.URL ships as sources in Debian's libboost1.81-dev (no compiled library): compile it
// once here.
#include <boost/url/src.hpp>
